-- Activation signs the person in with OpenID Connect before the PIN (docs/rules.md §5). The
-- connection records whom the provider vouched for: its issuer and the person's subject there;
-- activated_account keeps what is shown (the verified email, else the subject). An operator's
-- activation from the command line has issuer 'intake-cli' and the operator as subject.
alter table connection
  add column activated_issuer text,
  add column activated_subject text;

-- A sign-in under way on the activation page, from the provider's button to the PIN. The browser
-- holds a random id in a cookie; only its SHA-256 is kept, and of the email's token only its
-- SHA-256 too, so this table opens no connection. state, nonce and the PKCE verifier are checked
-- against the provider's answer once; the verified account is written when it comes back.
create table activation_sign_in (
  id_hash bytea primary key,
  token_hash bytea not null,
  provider text not null,
  state text not null,
  nonce text not null,
  code_verifier text not null,
  language text not null check (language in ('en', 'fr')),
  issuer text,
  subject text,
  email text,
  signed_in_at timestamptz,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  check ((subject is null) = (signed_in_at is null) and (subject is null) = (issuer is null))
);
create index activation_sign_in_expiry on activation_sign_in (expires_at);
