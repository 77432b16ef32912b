<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<!-- incmap's default QGIS style for the mentions layer (src/styles/mentions.qml, compiled into
     libincmap): every resolved place mention as a small teal point under the incidents. -->
<qgis version="3.22.16-Białowieża" styleCategories="Symbology|Fields|MapTips">
 <renderer-v2 type="singleSymbol" forceraster="0" symbollevels="0" enableorderby="0" referencescale="-1">
  <symbols>
   <symbol type="marker" name="0" alpha="0.85" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="name" value="circle"/>
      <Option type="QString" name="color" value="26,152,140,255"/>
      <Option type="QString" name="outline_color" value="255,255,255,255"/>
      <Option type="QString" name="outline_style" value="solid"/>
      <Option type="QString" name="outline_width" value="0.2"/>
      <Option type="QString" name="outline_width_unit" value="MM"/>
      <Option type="QString" name="size" value="1.6"/>
      <Option type="QString" name="size_unit" value="MM"/>
      <Option type="QString" name="scale_method" value="diameter"/>
     </Option>
    </layer>
   </symbol>
  </symbols>
  <rotation/>
  <sizescale/>
 </renderer-v2>
 <previewExpression>concat("text", ' -> ', "name")</previewExpression>
 <mapTip>[% "text" %] → [% "name" %] ([% "feature_code" %], [% "admin1" %]), score [% "score" %]</mapTip>
 <layerGeometryType>0</layerGeometryType>
</qgis>
