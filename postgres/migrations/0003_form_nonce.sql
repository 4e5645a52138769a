-- +goose Up
-- One-time values of browser forms whose repetition must not repeat their effect (the
-- no-JavaScript token form: Reload must not create a second token).
CREATE TABLE form_nonce (
	nonce   TEXT COLLATE "C" PRIMARY KEY,
	created BIGINT NOT NULL
);
CREATE INDEX form_nonce_created ON form_nonce (created);
