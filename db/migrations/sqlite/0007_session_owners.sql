-- 0007_session_owners.sql: which node holds each live WebRTC session.
--
-- A session lives on the node that answered its offer (its peer connection
-- and its spool are on that machine), live and then as a draft until it is
-- saved or discarded. When several nodes share this index, a request for
-- the session that reaches another node is forwarded to node_url. A node
-- drops its own rows when it starts (its sessions died with it: their
-- spools are recovered into recordings) and a session's row when it is
-- saved or discarded.

CREATE TABLE session_owners (
	session_id TEXT PRIMARY KEY,
	node_id    TEXT NOT NULL,
	node_url   TEXT NOT NULL,
	claimed_at TEXT NOT NULL
);

CREATE INDEX session_owners_node_idx ON session_owners (node_id);
