"""qgis_check.py: opens incmap's layers in QGIS itself (headless) and checks what an analyst sees.

    /usr/bin/python3 qgis_check.py KIND PATH N_INCIDENTS N_MENTIONS N_ARTICLES PNG

KIND is gpkg (PATH: the GeoPackage) or files (PATH: the incidents file of a single-layer format;
mentions.EXT and articles.EXT beside it). For each layer: valid, the feature count we expect,
EPSG:4326, and the default style applied on load (from the GeoPackage's layer_styles, or the
sidecar .qml): incidents categorised by event_type with a size driven by fatalities, temporal
properties on, on a Date field event_date, and a time filter that picks one day's incidents.
Then renders incidents and mentions to PNG and checks that points were drawn.
Prints one line per check; exits 1 when any failed.
"""
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (QgsApplication, QgsCoordinateReferenceSystem, QgsDateTimeRange, QgsExpression,
                       QgsExpressionContext, QgsExpressionContextUtils,
                       QgsFeatureRequest, QgsMapRendererParallelJob, QgsMapSettings, QgsVectorLayer,
                       QgsVectorLayerTemporalContext, QgsVectorLayerTemporalProperties)
from qgis.PyQt.QtCore import QDateTime, QSize, QTime, QVariant
from qgis.PyQt.QtGui import QColor, QImage

FAILED = []


def check(cond, label, detail=""):
    print(("ok   " if cond else "FAIL ") + label + ("" if cond else ": " + str(detail)))
    if not cond:
        FAILED.append(label)


def uri(kind, path, layer):
    if kind == "gpkg":
        return "%s|layername=%s" % (path, layer)
    d, base = os.path.split(path)
    return path if layer == "incidents" else os.path.join(d, layer + os.path.splitext(base)[1])


def open_like_desktop(u, name):
    """As QGIS desktop adds a layer: constructed without its style, then loadDefaultStyle(). (A
    layer constructed with the style resets its temporal properties to the provider's defaults
    afterwards, in QGIS 3.22; the desktop application loads the style last, and so do we.)"""
    options = QgsVectorLayer.LayerOptions(False)
    options.loadDefaultStyle = False
    lyr = QgsVectorLayer(u, name, "ogr", options)
    if lyr.isValid():
        msg, ok = lyr.loadDefaultStyle()
        check(ok, "%s: QGIS finds the default style" % name, msg)
    return lyr


def check_incidents(inc):
    f = inc.fields().field("event_date")
    check(f.type() == QVariant.Date, "incidents: event_date is a Date field", f.typeName())
    r = inc.renderer()
    check(r is not None and r.type() == "categorizedSymbol" and r.classAttribute() == "event_type",
          "incidents: categorised by event_type", r.type() if r else None)
    if r is not None and r.type() == "categorizedSymbol":
        cats = r.categories()  # kept: a category's symbol dies with the category
        values = {c.value() for c in cats}
        check({"Battles", "Violence against civilians", "Protests", "Riots"} <= values,
              "incidents: a category per ACLED event type", values)
        sizes = [c.symbol().dataDefinedSize() for c in cats]
        check(all(d.isActive() and "fatalities" in d.expressionString() for d in sizes),
              "incidents: symbol size follows fatalities", [d.expressionString() for d in sizes])
    tp = inc.temporalProperties()
    check(tp.isActive(), "incidents: temporal properties active")
    check(tp.mode() == QgsVectorLayerTemporalProperties.ModeFeatureDateTimeInstantFromField
          and tp.startField() == "event_date", "incidents: time from event_date", (tp.mode(), tp.startField()))
    # What the time slider does on one day: the layer's own filter for that day's range, evaluated
    # by QGIS (not compiled for the provider), keeps that day's incidents and the undated ones
    # (QGIS shows features without a time at every step) and drops the other days'.
    feats = list(inc.getFeatures())
    dated = [ft["event_date"] for ft in feats if ft["event_date"]]
    if dated:
        day = dated[0]
        begin = QDateTime(day, QTime(0, 0))
        tctx = QgsVectorLayerTemporalContext()
        tctx.setLayer(inc)
        flt = QgsExpression(tp.createFilterString(tctx, QgsDateTimeRange(begin, begin.addDays(1), True, False)))
        ectx = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(inc))
        kept = 0
        for ft in feats:
            ectx.setFeature(ft)
            kept += bool(flt.evaluate(ectx))
        want = sum(1 for d in dated if d == day) + (len(feats) - len(dated))
        check(kept == want, "incidents: the time filter for %s keeps %d of %d incidents"
              % (day.toString("yyyy-MM-dd"), want, len(feats)), "kept %d with %s" % (kept, flt.expression()))


def render(layers, png):
    """Renders the point layers over their extent on white; any other pixel is a drawn point."""
    ms = QgsMapSettings()
    ms.setLayers(layers)
    ms.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:4326"))
    ext = layers[0].extent()
    for lyr in layers[1:]:
        ext.combineExtentWith(lyr.extent())
    ext.scale(1.1)
    ms.setExtent(ext)
    ms.setOutputSize(QSize(800, 600))
    ms.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(ms)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(png, "PNG")
    del job
    img = QImage(png)
    white = QColor(255, 255, 255).rgb()
    painted = sum(1 for y in range(img.height()) for x in range(img.width()) if img.pixel(x, y) != white)
    check(painted > 100, "render: points drawn to %s" % png, "%d non-background pixels" % painted)


def main(kind, path, counts, png):
    layers = {}
    for name, want in zip(("incidents", "mentions", "articles"), counts):
        # The PyQGIS way (style loaded by the constructor) ...
        plain = QgsVectorLayer(uri(kind, path, name), name, "ogr")
        check(plain.isValid(), "%s: QGIS opens the layer" % name, uri(kind, path, name))
        if not plain.isValid():
            continue
        check(plain.featureCount() == want, "%s: %d features" % (name, want), plain.featureCount())
        if name != "articles":
            check(plain.crs().authid() == "EPSG:4326", "%s: CRS EPSG:4326" % name, plain.crs().authid())
        if name == "incidents":
            check(plain.renderer().type() == "categorizedSymbol",
                  "incidents: the stored style applies by default", plain.renderer().type())
        del plain
        # ... and the desktop way, which also keeps the style's temporal settings.
        layers[name] = open_like_desktop(uri(kind, path, name), name)
    if "incidents" in layers:
        check_incidents(layers["incidents"])
    if "mentions" in layers:
        r = layers["mentions"].renderer()
        check(r.type() == "singleSymbol" and r.symbol().color().name() == QColor(26, 152, 140).name(),
              "mentions: our style (teal points)", (r.type(), r.symbol().color().name()))
    if "articles" in layers:
        check(layers["articles"].displayExpression().startswith('coalesce("title"'),
              "articles: our style (rows named by title)", layers["articles"].displayExpression())
    points = [layers[n] for n in ("incidents", "mentions") if n in layers]  # the first is drawn on top
    if points:
        render(points, png)
    layers.clear()  # every layer gone before exitQgis, or QGIS crashes at exit


if __name__ == "__main__":
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    app = QgsApplication([], False)
    app.initQgis()
    main(sys.argv[1], sys.argv[2], [int(a) for a in sys.argv[3:6]], sys.argv[6])
    app.exitQgis()
    print("%d check(s) failed" % len(FAILED) if FAILED else "all QGIS checks passed")
    sys.exit(1 if FAILED else 0)
