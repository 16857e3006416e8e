-- 0007_session_owners.sql: which node holds each live WebRTC session.
--
-- The PostgreSQL twin of ../sqlite/0007_session_owners.sql. A session
-- lives on the node that answered its offer (its peer connection and its
-- spool are on that machine), live and then as a draft until it is saved
-- or discarded; a request for it that reaches another node is forwarded to
-- node_url. A node drops its own rows when it starts and a session's row
-- when it is saved or discarded.

CREATE TABLE session_owners (
	session_id text        PRIMARY KEY,
	node_id    text        NOT NULL,
	node_url   text        NOT NULL,
	claimed_at timestamptz NOT NULL
);

CREATE INDEX session_owners_node_idx ON session_owners (node_id);
