-- 0016: credential changes seen at once by every process and server, and failed logins
-- throttled per account and client address instead of locking the account.

-- Bumped whenever what proves an account's identity changes (its password, whether it is
-- enabled, its login). Processes that remember a verified password remember the
-- generation with it and compare it with this column on every use (one indexed read), so
-- a change made anywhere, by any means, takes effect on the next request.
ALTER TABLE arca_account ADD COLUMN credentials_generation bigint NOT NULL DEFAULT 0;

CREATE FUNCTION arca_account_credentials_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.credentials_generation := OLD.credentials_generation + 1;
    RETURN NEW;
END $$;
CREATE TRIGGER arca_account_credentials_changed BEFORE UPDATE ON arca_account
    FOR EACH ROW WHEN (OLD.password_hash IS DISTINCT FROM NEW.password_hash
                       OR OLD.enabled IS DISTINCT FROM NEW.enabled
                       OR OLD.login IS DISTINCT FROM NEW.login)
    EXECUTE FUNCTION arca_account_credentials_changed();

-- Failed logins per account and client address (an IPv6 client by its /64). After a few
-- failures that address is refused for that account for a window that doubles with each
-- further failure; an address that logged in recently is never refused. The account-wide
-- lock-out this replaces let anyone lock anyone out.
CREATE TABLE arca_login_throttle (
    account_id      bigint NOT NULL REFERENCES arca_account (id) ON DELETE CASCADE,
    source          text NOT NULL,
    failures        integer NOT NULL DEFAULT 0,
    last_failure_at timestamptz,
    blocked_until   timestamptz,
    last_success_at timestamptz,
    PRIMARY KEY (account_id, source)
);

ALTER TABLE arca_account DROP COLUMN failed_logins, DROP COLUMN locked_until;
