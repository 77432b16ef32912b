<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<!-- incmap's default QGIS style for the articles table (src/styles/articles.qml, compiled into
     libincmap): no geometry, so only how a row is named in QGIS's lists and forms. -->
<qgis version="3.22.16-Białowieża" styleCategories="Fields|MapTips">
 <previewExpression>coalesce("title", "source")</previewExpression>
 <layerGeometryType>4</layerGeometryType>
</qgis>
