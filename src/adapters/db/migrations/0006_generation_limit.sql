-- The hourly cap on backup-code sets per staff member counts that member's recent sets.
CREATE INDEX backup_code_sets_issued_by_idx ON backup_code_sets (issued_by, created_at) WHERE origin = 'staff';
