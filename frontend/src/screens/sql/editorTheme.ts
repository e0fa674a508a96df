// The editor's look, as a CodeMirror theme: inside its shadow root the app's stylesheet does
// not apply, so colors and fonts are repeated here from styles.css.

import { EditorView } from "@codemirror/view";

export const editorTheme = EditorView.theme({
  "&": {
    fontSize: "13px",
    border: "1px solid #dde1e5",
    borderRadius: "8px",
    backgroundColor: "#fff",
    minHeight: "9rem",
    maxHeight: "22rem",
  },
  "&.cm-focused": { outline: "2px solid #2b6cb0", outlineOffset: "1px" },
  ".cm-scroller": {
    fontFamily: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace',
    lineHeight: "1.5",
    overflow: "auto",
  },
  ".cm-content": { minHeight: "9rem", padding: "0.4rem 0" },
  ".cm-gutters": {
    backgroundColor: "#f6f7f8",
    color: "#5c6670",
    borderRight: "1px solid #dde1e5",
    borderRadius: "8px 0 0 8px",
  },
  ".cm-activeLine": { backgroundColor: "#f4f8f5" },
  ".cm-activeLineGutter": { backgroundColor: "#e9ecef" },
  ".cm-placeholder": { color: "#8a939b" },
  ".cm-tooltip.cm-tooltip-autocomplete > ul": {
    fontFamily: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace',
    maxHeight: "16rem",
  },
  ".cm-completionDetail": { color: "#5c6670", marginLeft: "1rem", fontStyle: "normal" },
  ".cm-tooltip-autocomplete ul li[aria-selected] .cm-completionDetail": { color: "inherit" },
});
