"""Pages and files for browsers: the browser SDK at /static/hedgerow.js and the /demo page."""
