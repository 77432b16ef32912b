<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<!-- incmap's default QGIS style for the incidents layer (src/styles/incidents.qml, compiled into
     libincmap): points coloured by ACLED event_type, sized by fatalities, and the layer's temporal
     properties on event_date (each incident shown for its day) so the time slider works at once. -->
<qgis version="3.22.16-Białowieża" styleCategories="Symbology|Temporal|Fields|MapTips">
 <temporal enabled="1" mode="1" startField="event_date" endField="" startExpression="" endExpression="" durationField="" durationUnit="d" fixedDuration="1" accumulate="0" limitMode="0">
  <fixedRange>
   <start></start>
   <end></end>
  </fixedRange>
 </temporal>
 <renderer-v2 type="categorizedSymbol" attr="event_type" forceraster="0" symbollevels="0" enableorderby="1" referencescale="-1">
  <categories>
   <category symbol="0" value="Battles" label="Battles" render="true"/>
   <category symbol="1" value="Explosions/Remote violence" label="Explosions/Remote violence" render="true"/>
   <category symbol="2" value="Violence against civilians" label="Violence against civilians" render="true"/>
   <category symbol="3" value="Riots" label="Riots" render="true"/>
   <category symbol="4" value="Protests" label="Protests" render="true"/>
   <category symbol="5" value="Strategic developments" label="Strategic developments" render="true"/>
   <category symbol="6" value="" label="other or unknown" render="true"/>
  </categories>
  <symbols>
   <symbol type="marker" name="0" alpha="0.85" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="name" value="circle"/>
      <Option type="QString" name="color" value="215,48,39,255"/>
      <Option type="QString" name="outline_color" value="255,255,255,255"/>
      <Option type="QString" name="outline_style" value="solid"/>
      <Option type="QString" name="outline_width" value="0.2"/>
      <Option type="QString" name="outline_width_unit" value="MM"/>
      <Option type="QString" name="size" value="2"/>
      <Option type="QString" name="size_unit" value="MM"/>
      <Option type="QString" name="scale_method" value="diameter"/>
     </Option>
      <data_defined_properties>
       <Option type="Map">
        <Option type="QString" name="name" value=""/>
        <Option type="Map" name="properties">
         <Option type="Map" name="size">
          <Option type="bool" name="active" value="true"/>
          <Option type="QString" name="expression" value="coalesce(scale_exp(&quot;fatalities&quot;, 0, 100, 2, 10, 0.57), 2)"/>
          <Option type="int" name="type" value="3"/>
         </Option>
        </Option>
        <Option type="QString" name="type" value="collection"/>
       </Option>
      </data_defined_properties>
    </layer>
   </symbol>
   <symbol type="marker" name="1" alpha="0.85" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="name" value="circle"/>
      <Option type="QString" name="color" value="244,109,67,255"/>
      <Option type="QString" name="outline_color" value="255,255,255,255"/>
      <Option type="QString" name="outline_style" value="solid"/>
      <Option type="QString" name="outline_width" value="0.2"/>
      <Option type="QString" name="outline_width_unit" value="MM"/>
      <Option type="QString" name="size" value="2"/>
      <Option type="QString" name="size_unit" value="MM"/>
      <Option type="QString" name="scale_method" value="diameter"/>
     </Option>
      <data_defined_properties>
       <Option type="Map">
        <Option type="QString" name="name" value=""/>
        <Option type="Map" name="properties">
         <Option type="Map" name="size">
          <Option type="bool" name="active" value="true"/>
          <Option type="QString" name="expression" value="coalesce(scale_exp(&quot;fatalities&quot;, 0, 100, 2, 10, 0.57), 2)"/>
          <Option type="int" name="type" value="3"/>
         </Option>
        </Option>
        <Option type="QString" name="type" value="collection"/>
       </Option>
      </data_defined_properties>
    </layer>
   </symbol>
   <symbol type="marker" name="2" alpha="0.85" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="name" value="circle"/>
      <Option type="QString" name="color" value="118,42,131,255"/>
      <Option type="QString" name="outline_color" value="255,255,255,255"/>
      <Option type="QString" name="outline_style" value="solid"/>
      <Option type="QString" name="outline_width" value="0.2"/>
      <Option type="QString" name="outline_width_unit" value="MM"/>
      <Option type="QString" name="size" value="2"/>
      <Option type="QString" name="size_unit" value="MM"/>
      <Option type="QString" name="scale_method" value="diameter"/>
     </Option>
      <data_defined_properties>
       <Option type="Map">
        <Option type="QString" name="name" value=""/>
        <Option type="Map" name="properties">
         <Option type="Map" name="size">
          <Option type="bool" name="active" value="true"/>
          <Option type="QString" name="expression" value="coalesce(scale_exp(&quot;fatalities&quot;, 0, 100, 2, 10, 0.57), 2)"/>
          <Option type="int" name="type" value="3"/>
         </Option>
        </Option>
        <Option type="QString" name="type" value="collection"/>
       </Option>
      </data_defined_properties>
    </layer>
   </symbol>
   <symbol type="marker" name="3" alpha="0.85" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="name" value="circle"/>
      <Option type="QString" name="color" value="253,174,97,255"/>
      <Option type="QString" name="outline_color" value="255,255,255,255"/>
      <Option type="QString" name="outline_style" value="solid"/>
      <Option type="QString" name="outline_width" value="0.2"/>
      <Option type="QString" name="outline_width_unit" value="MM"/>
      <Option type="QString" name="size" value="2"/>
      <Option type="QString" name="size_unit" value="MM"/>
      <Option type="QString" name="scale_method" value="diameter"/>
     </Option>
      <data_defined_properties>
       <Option type="Map">
        <Option type="QString" name="name" value=""/>
        <Option type="Map" name="properties">
         <Option type="Map" name="size">
          <Option type="bool" name="active" value="true"/>
          <Option type="QString" name="expression" value="coalesce(scale_exp(&quot;fatalities&quot;, 0, 100, 2, 10, 0.57), 2)"/>
          <Option type="int" name="type" value="3"/>
         </Option>
        </Option>
        <Option type="QString" name="type" value="collection"/>
       </Option>
      </data_defined_properties>
    </layer>
   </symbol>
   <symbol type="marker" name="4" alpha="0.85" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="name" value="circle"/>
      <Option type="QString" name="color" value="69,117,180,255"/>
      <Option type="QString" name="outline_color" value="255,255,255,255"/>
      <Option type="QString" name="outline_style" value="solid"/>
      <Option type="QString" name="outline_width" value="0.2"/>
      <Option type="QString" name="outline_width_unit" value="MM"/>
      <Option type="QString" name="size" value="2"/>
      <Option type="QString" name="size_unit" value="MM"/>
      <Option type="QString" name="scale_method" value="diameter"/>
     </Option>
      <data_defined_properties>
       <Option type="Map">
        <Option type="QString" name="name" value=""/>
        <Option type="Map" name="properties">
         <Option type="Map" name="size">
          <Option type="bool" name="active" value="true"/>
          <Option type="QString" name="expression" value="coalesce(scale_exp(&quot;fatalities&quot;, 0, 100, 2, 10, 0.57), 2)"/>
          <Option type="int" name="type" value="3"/>
         </Option>
        </Option>
        <Option type="QString" name="type" value="collection"/>
       </Option>
      </data_defined_properties>
    </layer>
   </symbol>
   <symbol type="marker" name="5" alpha="0.85" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="name" value="circle"/>
      <Option type="QString" name="color" value="102,166,30,255"/>
      <Option type="QString" name="outline_color" value="255,255,255,255"/>
      <Option type="QString" name="outline_style" value="solid"/>
      <Option type="QString" name="outline_width" value="0.2"/>
      <Option type="QString" name="outline_width_unit" value="MM"/>
      <Option type="QString" name="size" value="2"/>
      <Option type="QString" name="size_unit" value="MM"/>
      <Option type="QString" name="scale_method" value="diameter"/>
     </Option>
      <data_defined_properties>
       <Option type="Map">
        <Option type="QString" name="name" value=""/>
        <Option type="Map" name="properties">
         <Option type="Map" name="size">
          <Option type="bool" name="active" value="true"/>
          <Option type="QString" name="expression" value="coalesce(scale_exp(&quot;fatalities&quot;, 0, 100, 2, 10, 0.57), 2)"/>
          <Option type="int" name="type" value="3"/>
         </Option>
        </Option>
        <Option type="QString" name="type" value="collection"/>
       </Option>
      </data_defined_properties>
    </layer>
   </symbol>
   <symbol type="marker" name="6" alpha="0.85" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="name" value="circle"/>
      <Option type="QString" name="color" value="150,150,150,255"/>
      <Option type="QString" name="outline_color" value="255,255,255,255"/>
      <Option type="QString" name="outline_style" value="solid"/>
      <Option type="QString" name="outline_width" value="0.2"/>
      <Option type="QString" name="outline_width_unit" value="MM"/>
      <Option type="QString" name="size" value="2"/>
      <Option type="QString" name="size_unit" value="MM"/>
      <Option type="QString" name="scale_method" value="diameter"/>
     </Option>
      <data_defined_properties>
       <Option type="Map">
        <Option type="QString" name="name" value=""/>
        <Option type="Map" name="properties">
         <Option type="Map" name="size">
          <Option type="bool" name="active" value="true"/>
          <Option type="QString" name="expression" value="coalesce(scale_exp(&quot;fatalities&quot;, 0, 100, 2, 10, 0.57), 2)"/>
          <Option type="int" name="type" value="3"/>
         </Option>
        </Option>
        <Option type="QString" name="type" value="collection"/>
       </Option>
      </data_defined_properties>
    </layer>
   </symbol>
  </symbols>
  <rotation/>
  <sizescale/>
  <orderby>
   <orderByClause asc="0" nullsFirst="0">"fatalities"</orderByClause>
  </orderby>
 </renderer-v2>
 <previewExpression>concat("event_type", ': ', "location", ' ', "event_date")</previewExpression>
 <mapTip>[% "event_type" %] at [% "location" %], [% "event_date" %]: [% "fatalities" %] fatalities&lt;br&gt;[% "notes" %]</mapTip>
 <layerGeometryType>0</layerGeometryType>
</qgis>
