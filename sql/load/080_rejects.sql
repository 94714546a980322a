-- A load's rejected rows written out as the file had them (industry-clusters rejects):
-- for whoever keeps the export, to see each row beside why it was left out, correct it
-- in the source and load it again.

-- The columns of a load's rejects: the file's header in its order
-- (registry.load_runs.headers), then what no header names (values beyond the header,
-- column_N, in their order). A load before revision 0100 kept no header: its rejects'
-- keys in order of name.
CREATE OR REPLACE FUNCTION registry.reject_columns(p_run bigint)
RETURNS text[] LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(l.headers, '{}')
           || coalesce((SELECT array_agg(k.key ORDER BY substring(k.key FROM '^column_([0-9]+)$')::int,
                                                        k.key)
                          FROM (SELECT DISTINCT jsonb_object_keys(r.raw) AS key
                                  FROM registry.rejects r WHERE r.load_run_id = p_run) k
                         WHERE k.key <> ALL (coalesce(l.headers, '{}'))), '{}')
      FROM registry.load_runs l
     WHERE l.load_run_id = p_run
$$;
COMMENT ON FUNCTION registry.reject_columns(bigint) IS
    'The columns of a load''s rejected rows: the file''s header in its order (registry.load_runs.headers), then values beyond it (column_N).';

-- The rejected rows of a load in the order of its files: where each was (the file, and
-- the sheet or layer of a workbook or GeoPackage; its row there, as Excel numbers the
-- rows, NULL for a load before revision 0105; its record number there), the reason,
-- the message, and its values under p_columns (NULL: registry.reject_columns(p_run); a
-- caller that has them already passes them). p_reasons: only these reasons (NULL: all).
-- (Revision 0105 added "row": a new result type, so the function is dropped first.)
DROP FUNCTION IF EXISTS registry.reject_records(bigint, text[]);
DROP FUNCTION IF EXISTS registry.reject_records(bigint, text[], text[]);
CREATE FUNCTION registry.reject_records(p_run bigint, p_reasons text[] DEFAULT NULL,
                                        p_columns text[] DEFAULT NULL)
RETURNS TABLE (file text, "row" bigint, record bigint, reason text, message text,
               "values" text[])
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(p.file, l.file_name)
           || coalesce(' (' || coalesce(p.layer, CASE WHEN cardinality(l.layers) = 1
                                                      THEN l.layers[1] END) || ')', ''),
           r.file_row, r.line_no, r.reason, r.message,
           ARRAY(SELECT r.raw ->> c.name FROM unnest(cols.names) WITH ORDINALITY AS c(name, i)
                  ORDER BY c.i)
      FROM registry.load_runs l
     CROSS JOIN (SELECT coalesce(p_columns, registry.reject_columns(p_run)) AS names) cols
      JOIN registry.rejects r ON r.load_run_id = l.load_run_id
      LEFT JOIN LATERAL (SELECT e ->> 'file' AS file, e ->> 'layer' AS layer
                           FROM jsonb_array_elements(l.parts) e
                          WHERE (e ->> 'part')::smallint = r.part) p ON true
     WHERE l.load_run_id = p_run AND (p_reasons IS NULL OR r.reason = ANY (p_reasons))
     ORDER BY r.part NULLS FIRST, r.line_no
$$;
COMMENT ON FUNCTION registry.reject_records(bigint, text[], text[]) IS
    'A load''s rejected rows in the order of its files: file (and sheet or layer), row there (as Excel numbers the rows; NULL before revision 0105), record number there, reason, message, and the values under p_columns (NULL: registry.reject_columns(p_run)); p_reasons: only these (NULL: all).';
