-- A decoder's definition in service is kept apart from the draft being
-- edited, so that saving a changed definition never stops the sources
-- that use the decoder. `definition` is the draft (what was saved last);
-- `active_definition` is what the receivers compile, NULL when the
-- decoder is not in service; activating a decoder whose draft's samples
-- pass copies the draft into it. `activated_at` is when the version in
-- service was activated. `active` said the same as `active_definition IS
-- NOT NULL` and goes.
ALTER TABLE log_decoders ADD COLUMN active_definition TEXT;
ALTER TABLE log_decoders ADD COLUMN activated_at INTEGER;
UPDATE log_decoders
SET active_definition = definition,
    activated_at = COALESCE(tested_at, updated_at)
WHERE active = 1;
ALTER TABLE log_decoders DROP COLUMN active;
