-- QGIS's own style table, created as QGIS creates it (3.16+) when absent, and the
-- function that (re)writes a default style for a publish layer.
CREATE TABLE IF NOT EXISTS public.layer_styles (
    id serial PRIMARY KEY,
    f_table_catalog varchar(256),
    f_table_schema varchar(256),
    f_table_name varchar(256),
    f_geometry_column varchar(256),
    stylename text,
    styleqml xml,
    stylesld xml,
    useasdefault boolean,
    description text,
    owner varchar(63) DEFAULT CURRENT_USER,
    ui xml,
    update_time timestamp DEFAULT CURRENT_TIMESTAMP
);
ALTER TABLE public.layer_styles ADD COLUMN IF NOT EXISTS type varchar;

CREATE OR REPLACE FUNCTION clustering.set_layer_style(p_table text, p_geometry_column text,
                                                       p_style_name text, p_qml text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- Only one default per layer: others lose the flag, ours is replaced.
    UPDATE public.layer_styles SET useasdefault = false
     WHERE f_table_catalog = current_database() AND f_table_schema = 'publish'
       AND f_table_name = p_table AND f_geometry_column = p_geometry_column;
    DELETE FROM public.layer_styles
     WHERE f_table_catalog = current_database() AND f_table_schema = 'publish'
       AND f_table_name = p_table AND stylename = p_style_name;
    -- type NULL: QGIS's PostgreSQL provider takes a style whose type is the geometry
    -- type of the layer as it was opened ("Polygon", or "Unknown geometry" for a URI
    -- without one) or NULL; 'Vector', written until revision 0067, matched neither,
    -- and QGIS 3.22 opened the layers unstyled
    INSERT INTO public.layer_styles (f_table_catalog, f_table_schema, f_table_name,
                                     f_geometry_column, stylename, styleqml, useasdefault,
                                     description, type)
    VALUES (current_database(), 'publish', p_table, p_geometry_column, p_style_name,
            XMLPARSE(DOCUMENT p_qml), true, 'industry-clusters default style', NULL);
END
$$;
COMMENT ON FUNCTION clustering.set_layer_style(text, text, text, text) IS
    'Writes a QML style into public.layer_styles as the default of a publish layer.';

-- the styles written before revision 0067, made findable (re-runnable: matches none after)
UPDATE public.layer_styles SET type = NULL
 WHERE f_table_schema = 'publish' AND stylename = 'industry-clusters'
   AND description = 'industry-clusters default style' AND type = 'Vector';
