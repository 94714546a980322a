<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.28.0" styleCategories="Symbology">
  <renderer-v2 type="categorizedSymbol" attr="sector" symbollevels="0" enableorderby="0" forceraster="0">
    <categories>
      <category render="true" symbol="0" value="comms" label="comms" type="string"/>
      <category render="true" symbol="1" value="software" label="software" type="string"/>
    </categories>
    <symbols>
      <symbol type="marker" name="0" alpha="0.8" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleMarker" enabled="1" pass="0" locked="0">
          <Option type="Map">
            <Option type="QString" name="color" value="215,48,31,255"/>
            <Option type="QString" name="name" value="circle"/>
            <Option type="QString" name="outline_style" value="no"/>
            <Option type="QString" name="size" value="1.2"/>
          </Option>
        </layer>
      </symbol>
      <symbol type="marker" name="1" alpha="0.8" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleMarker" enabled="1" pass="0" locked="0">
          <Option type="Map">
            <Option type="QString" name="color" value="33,113,181,255"/>
            <Option type="QString" name="name" value="circle"/>
            <Option type="QString" name="outline_style" value="no"/>
            <Option type="QString" name="size" value="1.2"/>
          </Option>
        </layer>
      </symbol>
    </symbols>
  </renderer-v2>
  <layerGeometryType>0</layerGeometryType>
</qgis>
