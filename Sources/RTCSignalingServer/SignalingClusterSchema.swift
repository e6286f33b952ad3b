/// The cluster's PostgreSQL schema, created and migrated by the server itself
/// (`docs/cluster.md` explains the tables and functions).
///
/// Migrations run under an advisory lock, so instances starting together apply each once;
/// `swiftrtc_schema` holds the version reached. Every membership change happens inside a
/// function that locks its room (a transaction-scoped advisory lock) and notifies every
/// registered instance in the same transaction, so notifications arrive in commit order.
enum SignalingClusterSchema {
    /// The schema version this server writes and understands.
    static let version = 2

    /// Statements of each migration, by the version they lead to.
    static let migrations: [Int: [String]] = [1: v1, 2: v2]

    /// The advisory lock key that serializes migrations.
    static let migrationLock = "SELECT pg_advisory_lock(hashtext('swiftrtc_schema'))"
    static let migrationUnlock = "SELECT pg_advisory_unlock(hashtext('swiftrtc_schema'))"
    static let create = "CREATE TABLE IF NOT EXISTS swiftrtc_schema (version integer NOT NULL)"
    static let current = "SELECT coalesce(max(version), 0) FROM swiftrtc_schema"

    private static let v1: [String] = [
        """
        CREATE TABLE swiftrtc_instances (
          id text PRIMARY KEY,
          address text NOT NULL,
          started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
          last_seen timestamptz NOT NULL DEFAULT clock_timestamp())
        """,
        """
        CREATE TABLE swiftrtc_members (
          room_id text NOT NULL,
          peer_id text NOT NULL,
          instance_id text NOT NULL,
          connection bigint NOT NULL,
          seq bigint NOT NULL,
          PRIMARY KEY (room_id, peer_id))
        """,
        "CREATE INDEX swiftrtc_members_instance ON swiftrtc_members (instance_id)",
        "CREATE SEQUENCE swiftrtc_member_seq",
        """
        CREATE TABLE swiftrtc_relay (
          id bigserial PRIMARY KEY,
          instance_id text NOT NULL,
          payload text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT clock_timestamp())
        """,
        // Notifies every registered instance (membership events).
        """
        CREATE FUNCTION swiftrtc_broadcast(p_payload text) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE i record;
        BEGIN
          FOR i IN SELECT id FROM swiftrtc_instances LOOP
            PERFORM pg_notify('swiftrtc_' || i.id, p_payload);
          END LOOP;
        END $$
        """,
        // Registers an instance and returns every member, consistently: the SHARE lock waits
        // for membership changes in flight (they did not notify us; the snapshot sees them)
        // and holds back new ones until we are registered (they will notify us).
        """
        CREATE FUNCTION swiftrtc_register(p_instance text, p_address text)
        RETURNS TABLE (o_room text, o_peer text, o_instance text, o_connection bigint, o_seq bigint)
        LANGUAGE plpgsql AS $$
        BEGIN
          LOCK TABLE swiftrtc_members IN SHARE MODE;
          INSERT INTO swiftrtc_instances (id, address) VALUES (p_instance, p_address);
          RETURN QUERY SELECT m.room_id, m.peer_id, m.instance_id, m.connection, m.seq FROM swiftrtc_members m;
        END $$
        """,
        // Lock order everywhere: instance row, then room locks in room order.
        """
        CREATE FUNCTION swiftrtc_join(p_room text, p_peer text, p_instance text, p_connection bigint, p_max integer)
        RETURNS text LANGUAGE plpgsql AS $$
        DECLARE s bigint;
        BEGIN
          PERFORM 1 FROM swiftrtc_instances WHERE id = p_instance FOR SHARE;
          IF NOT FOUND THEN RETURN 'unregistered'; END IF;
          PERFORM pg_advisory_xact_lock(hashtext('swiftrtc_room'), hashtext(p_room));
          PERFORM 1 FROM swiftrtc_members WHERE room_id = p_room AND peer_id = p_peer;
          IF FOUND THEN RETURN 'duplicate'; END IF;
          IF (SELECT count(*) FROM swiftrtc_members WHERE room_id = p_room) >= p_max THEN RETURN 'full'; END IF;
          s := nextval('swiftrtc_member_seq');
          INSERT INTO swiftrtc_members VALUES (p_room, p_peer, p_instance, p_connection, s);
          PERFORM swiftrtc_broadcast(concat_ws(E'\\t', 'j', s, p_instance, p_connection, p_room, p_peer));
          RETURN 'ok';
        END $$
        """,
        """
        CREATE FUNCTION swiftrtc_leave(p_room text, p_peer text, p_instance text) RETURNS boolean LANGUAGE plpgsql AS $$
        DECLARE s bigint;
        BEGIN
          PERFORM pg_advisory_xact_lock(hashtext('swiftrtc_room'), hashtext(p_room));
          DELETE FROM swiftrtc_members WHERE room_id = p_room AND peer_id = p_peer AND instance_id = p_instance
            RETURNING seq INTO s;
          IF NOT FOUND THEN RETURN false; END IF;
          PERFORM swiftrtc_broadcast(concat_ws(E'\\t', 'l', s, p_room, p_peer));
          RETURN true;
        END $$
        """,
        // Removes an instance: its members leave (notified), its relay rows and its row go.
        """
        CREATE FUNCTION swiftrtc_remove_instance(p_instance text) RETURNS integer LANGUAGE plpgsql AS $$
        DECLARE m record; n integer := 0;
        BEGIN
          FOR m IN SELECT room_id, peer_id FROM swiftrtc_members WHERE instance_id = p_instance ORDER BY room_id, peer_id LOOP
            IF swiftrtc_leave(m.room_id, m.peer_id, p_instance) THEN n := n + 1; END IF;
          END LOOP;
          DELETE FROM swiftrtc_relay WHERE instance_id = p_instance;
          DELETE FROM swiftrtc_instances WHERE id = p_instance;
          RETURN n;
        END $$
        """,
        // This instance is alive; instances silent for longer than the timeout are removed.
        // Returns the number of instances, or -1 when this one was removed (presumed dead).
        """
        CREATE FUNCTION swiftrtc_heartbeat(p_instance text, p_timeout_ms integer) RETURNS integer LANGUAGE plpgsql AS $$
        DECLARE d record; n integer;
        BEGIN
          UPDATE swiftrtc_instances SET last_seen = clock_timestamp() WHERE id = p_instance;
          IF NOT FOUND THEN RETURN -1; END IF;
          FOR d IN SELECT id FROM swiftrtc_instances
                   WHERE last_seen < clock_timestamp() - p_timeout_ms * interval '1 millisecond'
                   ORDER BY id FOR UPDATE SKIP LOCKED LOOP
            PERFORM swiftrtc_remove_instance(d.id);
            RAISE LOG 'swiftrtc: removed dead instance %', d.id;
          END LOOP;
          DELETE FROM swiftrtc_relay WHERE created_at < clock_timestamp() - interval '1 minute';
          SELECT count(*) INTO n FROM swiftrtc_instances;
          RETURN n;
        END $$
        """,
        // A notice too large for NOTIFY (8000 bytes): stored, and its row id notified.
        """
        CREATE FUNCTION swiftrtc_send_large(p_instance text, p_payload text) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE rid bigint;
        BEGIN
          INSERT INTO swiftrtc_relay (instance_id, payload) VALUES (p_instance, p_payload) RETURNING id INTO rid;
          PERFORM pg_notify('swiftrtc_' || p_instance, 'R' || E'\\t' || rid);
        END $$
        """,
    ]

    /// SFU rooms have a home (`docs/cluster.md`): each instance records the URL its clients
    /// reach it at, a `swiftrtc_rooms` row names an SFU room's home (claimed by the instance
    /// where the first SFU join arrives), joins name their mode and are redirected to the home,
    /// and a room's row goes with its last member or its home instance.
    private static let v2: [String] = [
        "ALTER TABLE swiftrtc_instances ADD COLUMN public_url text",
        """
        CREATE TABLE swiftrtc_rooms (
          room_id text PRIMARY KEY,
          home_instance text NOT NULL,
          claimed_at timestamptz NOT NULL DEFAULT clock_timestamp())
        """,
        "CREATE INDEX swiftrtc_rooms_home ON swiftrtc_rooms (home_instance)",
        "DROP FUNCTION swiftrtc_register(text, text)",
        // As in v1, with the public URL stored and each member's room mode returned.
        """
        CREATE FUNCTION swiftrtc_register(p_instance text, p_address text, p_url text)
        RETURNS TABLE (o_room text, o_peer text, o_instance text, o_connection bigint, o_seq bigint, o_mode text)
        LANGUAGE plpgsql AS $$
        BEGIN
          LOCK TABLE swiftrtc_members IN SHARE MODE;
          INSERT INTO swiftrtc_instances (id, address, public_url) VALUES (p_instance, p_address, nullif(p_url, ''));
          RETURN QUERY SELECT m.room_id, m.peer_id, m.instance_id, m.connection, m.seq,
                              CASE WHEN r.room_id IS NULL THEN 'mesh' ELSE 'sfu' END
                       FROM swiftrtc_members m LEFT JOIN swiftrtc_rooms r ON r.room_id = m.room_id;
        END $$
        """,
        "DROP FUNCTION swiftrtc_join(text, text, text, bigint, integer)",
        // An SFU join claims the room's home if it has none (the row is read back: the claim
        // is atomic under the room lock and ON CONFLICT besides); on another instance it
        // answers 'redirect<TAB>url', 'nohome' (the home has no public URL) or 'stale' (the
        // home is this server's own earlier registration, not yet timed out). A room with an
        // SFU home is an SFU room; one with members and no home a mesh room ('mode').
        """
        CREATE FUNCTION swiftrtc_join(p_room text, p_peer text, p_instance text, p_connection bigint, p_max integer, p_mode text)
        RETURNS text LANGUAGE plpgsql AS $$
        DECLARE s bigint; h text; u text; mine text;
        BEGIN
          SELECT public_url INTO mine FROM swiftrtc_instances WHERE id = p_instance FOR SHARE;
          IF NOT FOUND THEN RETURN 'unregistered'; END IF;
          PERFORM pg_advisory_xact_lock(hashtext('swiftrtc_room'), hashtext(p_room));
          SELECT home_instance INTO h FROM swiftrtc_rooms WHERE room_id = p_room;
          IF p_mode = 'sfu' THEN
            IF h IS NULL THEN
              PERFORM 1 FROM swiftrtc_members WHERE room_id = p_room;
              IF FOUND THEN RETURN 'mode'; END IF;
              INSERT INTO swiftrtc_rooms (room_id, home_instance) VALUES (p_room, p_instance) ON CONFLICT (room_id) DO NOTHING;
              SELECT home_instance INTO h FROM swiftrtc_rooms WHERE room_id = p_room;
            END IF;
            IF h <> p_instance THEN
              SELECT public_url INTO u FROM swiftrtc_instances WHERE id = h;
              IF u IS NULL THEN RETURN 'nohome'; END IF;
              IF u = mine THEN RETURN 'stale'; END IF;
              RETURN 'redirect' || E'\\t' || u;
            END IF;
          ELSIF h IS NOT NULL THEN
            RETURN 'mode';
          END IF;
          PERFORM 1 FROM swiftrtc_members WHERE room_id = p_room AND peer_id = p_peer;
          IF FOUND THEN RETURN 'duplicate'; END IF;
          IF (SELECT count(*) FROM swiftrtc_members WHERE room_id = p_room) >= p_max THEN RETURN 'full'; END IF;
          s := nextval('swiftrtc_member_seq');
          INSERT INTO swiftrtc_members VALUES (p_room, p_peer, p_instance, p_connection, s);
          PERFORM swiftrtc_broadcast(concat_ws(E'\\t', 'j', s, p_instance, p_connection, p_mode, p_room, p_peer));
          RETURN 'ok';
        END $$
        """,
        // As in v1; the last member's leave ends the room's home.
        """
        CREATE OR REPLACE FUNCTION swiftrtc_leave(p_room text, p_peer text, p_instance text) RETURNS boolean LANGUAGE plpgsql AS $$
        DECLARE s bigint;
        BEGIN
          PERFORM pg_advisory_xact_lock(hashtext('swiftrtc_room'), hashtext(p_room));
          DELETE FROM swiftrtc_members WHERE room_id = p_room AND peer_id = p_peer AND instance_id = p_instance
            RETURNING seq INTO s;
          IF NOT FOUND THEN RETURN false; END IF;
          PERFORM 1 FROM swiftrtc_members WHERE room_id = p_room;
          IF NOT FOUND THEN DELETE FROM swiftrtc_rooms WHERE room_id = p_room; END IF;
          PERFORM swiftrtc_broadcast(concat_ws(E'\\t', 'l', s, p_room, p_peer));
          RETURN true;
        END $$
        """,
        // As in v1; the instance's home claims go too (rooms left without members), so the
        // next SFU join of such a room homes it again.
        """
        CREATE OR REPLACE FUNCTION swiftrtc_remove_instance(p_instance text) RETURNS integer LANGUAGE plpgsql AS $$
        DECLARE m record; n integer := 0;
        BEGIN
          FOR m IN SELECT room_id, peer_id FROM swiftrtc_members WHERE instance_id = p_instance ORDER BY room_id, peer_id LOOP
            IF swiftrtc_leave(m.room_id, m.peer_id, p_instance) THEN n := n + 1; END IF;
          END LOOP;
          DELETE FROM swiftrtc_rooms WHERE home_instance = p_instance;
          DELETE FROM swiftrtc_relay WHERE instance_id = p_instance;
          DELETE FROM swiftrtc_instances WHERE id = p_instance;
          RETURN n;
        END $$
        """,
    ]
}
