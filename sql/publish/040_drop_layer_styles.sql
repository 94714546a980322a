-- Downgrade of the QGIS revision: our styles and function go; public.layer_styles
-- stays (QGIS owns it and it may hold the users' own styles).
DELETE FROM public.layer_styles WHERE f_table_schema = 'publish'
   AND description = 'industry-clusters default style';
DROP FUNCTION IF EXISTS clustering.set_layer_style(text, text, text, text);
