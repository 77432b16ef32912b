"""pg_qgis_check.py: opens the layers of a PostGIS incident store in QGIS itself (headless), as an
analyst adds them from the database browser, and checks what they see.

    /usr/bin/python3 pg_qgis_check.py HOST PORT DBNAME USER N_INCIDENTS N_MENTIONS N_ARTICLES PNG

For incmap.incidents_acled, incmap.mentions_layer and incmap.articles_layer: valid through QGIS's
postgres provider, the feature count we expect, EPSG:4326 for the point layers, and the default
style QGIS finds in the database's layer_styles table. The incidents layer then gets the same
checks as a GeoPackage's (qgis_check.check_incidents: categorised by event_type, sized by
fatalities, time from the Date field event_date, a one-day time filter), and both point layers are
rendered to PNG. Prints one line per check; exits 1 when any failed.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qgis_check  # noqa: E402  (sets QT_QPA_PLATFORM and imports qgis.core)
from qgis_check import check  # noqa: E402
from qgis.core import QgsApplication, QgsDataSourceUri, QgsVectorLayer, QgsWkbTypes  # noqa: E402

LAYERS = [  # view, key column, geometry column
    ("incidents_acled", "incident_id", "geom"),
    ("mentions_layer", "mention_fid", "geom"),
    ("articles_layer", "article_fid", None),
]


def uri(conn, view, key, geom):
    u = QgsDataSourceUri()
    u.setConnection(conn["host"], conn["port"], conn["dbname"], conn["user"], "")
    u.setDataSource("incmap", view, geom, "", key)
    if geom:
        u.setSrid("4326")
        u.setWkbType(QgsWkbTypes.Point)
    return u.uri(False)


def main(conn, counts, png):
    layers = {}
    for (view, key, geom), want in zip(LAYERS, counts):
        u = uri(conn, view, key, geom)
        plain = QgsVectorLayer(u, view, "postgres")
        check(plain.isValid(), "%s: QGIS opens the PostGIS layer" % view, u)
        if not plain.isValid():
            continue
        check(plain.featureCount() == want, "%s: %d features" % (view, want), plain.featureCount())
        if geom:
            check(plain.crs().authid() == "EPSG:4326", "%s: CRS EPSG:4326" % view, plain.crs().authid())
        if view == "incidents_acled":
            check(plain.renderer().type() == "categorizedSymbol",
                  "incidents_acled: the style stored in layer_styles applies by default", plain.renderer().type())
        del plain
        # As QGIS desktop adds it: constructed without its style, then the default style loaded.
        options = QgsVectorLayer.LayerOptions(False)
        options.loadDefaultStyle = False
        lyr = QgsVectorLayer(u, view, "postgres", options)
        msg, ok = lyr.loadDefaultStyle()
        check(ok, "%s: QGIS finds the default style in layer_styles" % view, msg)
        layers[view] = lyr
    if "incidents_acled" in layers:
        qgis_check.check_incidents(layers["incidents_acled"])
    if "mentions_layer" in layers:
        r = layers["mentions_layer"].renderer()
        check(r.type() == "singleSymbol" and r.symbol().color().name() == "#1a988c",
              "mentions_layer: our style (teal points)", (r.type(), r.symbol().color().name()))
    if "articles_layer" in layers:
        check(layers["articles_layer"].displayExpression().startswith('coalesce("title"'),
              "articles_layer: our style (rows named by title)", layers["articles_layer"].displayExpression())
    points = [layers[v] for v in ("incidents_acled", "mentions_layer") if v in layers]
    if points:
        qgis_check.render(points, png)
    layers.clear()  # every layer gone before exitQgis, or QGIS crashes at exit


if __name__ == "__main__":
    if len(sys.argv) != 9:
        sys.exit(__doc__)
    app = QgsApplication([], False)
    app.initQgis()
    main({"host": sys.argv[1], "port": sys.argv[2], "dbname": sys.argv[3], "user": sys.argv[4]},
         [int(a) for a in sys.argv[5:8]], sys.argv[8])
    app.exitQgis()
    print("%d check(s) failed" % len(qgis_check.FAILED) if qgis_check.FAILED else "all QGIS checks passed")
    sys.exit(1 if qgis_check.FAILED else 0)
