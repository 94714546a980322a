-- Why an inactive enterprise is (registry.enterprises.inactive_reason, revision 0109).
-- The enterprises inactive before the column: 'closed' when a status rule excludes their
-- status (a file reported them so), or when they have no date of leaving (only history
-- rows have none); else 'missing' (a full refresh accepted no row of them, their status
-- left as it was). None left the digital sectors before it: such a firm stayed active,
-- or a full refresh marked it missing. Re-runnable: only the rows without a reason.
UPDATE registry.enterprises e
   SET inactive_reason = CASE WHEN e.inactive_since IS NULL
                                   OR (SELECT c.active FROM registry.classify_status(e.status) c)
                                      IS FALSE
                              THEN 'closed' ELSE 'missing' END
 WHERE NOT e.active AND e.inactive_reason IS NULL;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'enterprises_inactive_reason_check'
                      AND conrelid = 'registry.enterprises'::regclass) THEN
        ALTER TABLE registry.enterprises ADD CONSTRAINT enterprises_inactive_reason_check
            CHECK (CASE WHEN active THEN inactive_reason IS NULL
                        ELSE inactive_reason IN ('closed', 'missing', 'non_digital') END);
    END IF;
END
$$;
