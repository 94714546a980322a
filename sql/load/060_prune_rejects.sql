-- Retention of the rejected rows (nightly --keep-rejects). Every night's load of a
-- changed export records its rejects again, most of them the same firms for the same
-- reasons as the night before: about 700 bytes a row, 8,000 rows a night at the study's
-- size (2 GB a year), ten times that at a million firms. Only the newest loads keep
-- their rows; an older load keeps its counts (rows_rejected, rejected_by_reason) and
-- says when its rows went (rejects_pruned_at).

ALTER TABLE registry.load_runs ADD COLUMN IF NOT EXISTS rejects_pruned_at timestamptz;
COMMENT ON COLUMN registry.load_runs.rejects_pruned_at IS
    'When the rows this load rejected were deleted from registry.rejects (registry.prune_rejects: only the newest loads keep theirs); rows_rejected and rejected_by_reason still count them. NULL while they are kept.';

CREATE OR REPLACE FUNCTION registry.prune_rejects(p_keep integer,
                                                  OUT loads integer, OUT rows_deleted bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_old bigint[];
BEGIN
    IF p_keep IS NULL OR p_keep < 1 THEN
        RAISE EXCEPTION 'keep rejects must be at least 1 load, not %', p_keep
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- succeeded loads of registry files older than the p_keep-th newest (none while
    -- there are fewer); boundaries' loads keep theirs (a few rows, loaded once a year),
    -- and a load that failed has none (its rejects rolled back with it)
    SELECT coalesce(array_agg(l.load_run_id), '{}') INTO v_old
      FROM registry.load_runs l
     WHERE l.kind = 'enterprises' AND l.status = 'succeeded' AND l.rejects_pruned_at IS NULL
       AND l.load_run_id < (SELECT k.load_run_id FROM registry.load_runs k
                             WHERE k.kind = 'enterprises' AND k.status = 'succeeded'
                             ORDER BY k.load_run_id DESC OFFSET p_keep - 1 LIMIT 1);
    DELETE FROM registry.rejects WHERE load_run_id = ANY (v_old);
    GET DIAGNOSTICS rows_deleted = ROW_COUNT;
    UPDATE registry.load_runs SET rejects_pruned_at = now() WHERE load_run_id = ANY (v_old);
    loads := cardinality(v_old);
END
$$;
COMMENT ON FUNCTION registry.prune_rejects(integer) IS
    'Deletes the rejected rows of the registry loads older than the newest p_keep succeeded ones (their counts stay in registry.load_runs, rejects_pruned_at says when); returns how many loads and rows.';
