-- A database made by the first release (schema by its AutoMigrate, data by its
-- store), dumped with pg_dump --inserts. TestUpgradeFromFirstRelease loads it
-- into a fresh schema in place of "public".




CREATE TABLE public.artifacts (
    id bigint NOT NULL,
    channel_id bigint NOT NULL,
    subchannel_id bigint DEFAULT 0 NOT NULL,
    subdir character varying(32) NOT NULL,
    filename character varying(255) NOT NULL,
    name character varying(255) NOT NULL,
    version character varying(100) NOT NULL,
    build character varying(255) NOT NULL,
    build_number bigint NOT NULL,
    depends text DEFAULT '[]'::text NOT NULL,
    constrains text DEFAULT '[]'::text NOT NULL,
    extra text DEFAULT '{}'::text NOT NULL,
    license character varying(255),
    license_family character varying(100),
    "timestamp" bigint DEFAULT 0 NOT NULL,
    size bigint NOT NULL,
    md5 character varying(32) NOT NULL,
    sha256 character varying(64) NOT NULL,
    uploader_id bigint,
    created_at timestamp with time zone
);

CREATE SEQUENCE public.artifacts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.artifacts_id_seq OWNED BY public.artifacts.id;

CREATE TABLE public.audit_events (
    id bigint NOT NULL,
    at timestamp with time zone NOT NULL,
    actor_id bigint,
    actor_email character varying(254),
    action character varying(64) NOT NULL,
    target character varying(300),
    details text,
    ip character varying(64)
);

CREATE SEQUENCE public.audit_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.audit_events_id_seq OWNED BY public.audit_events.id;

CREATE TABLE public.channels (
    id bigint NOT NULL,
    name character varying(100) NOT NULL,
    description character varying(1000),
    public boolean DEFAULT false NOT NULL,
    generation bigint DEFAULT 0 NOT NULL,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);

CREATE SEQUENCE public.channels_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.channels_id_seq OWNED BY public.channels.id;

CREATE TABLE public.grants (
    id bigint NOT NULL,
    resource_type character varying(16) NOT NULL,
    resource_id bigint NOT NULL,
    level character varying(8) NOT NULL,
    principal_kind character varying(8) NOT NULL,
    principal_id bigint NOT NULL
);

CREATE SEQUENCE public.grants_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.grants_id_seq OWNED BY public.grants.id;

CREATE TABLE public.pages (
    id bigint NOT NULL,
    identifier character varying(100) NOT NULL,
    title character varying(200) NOT NULL,
    icon character varying(32) DEFAULT ''::character varying NOT NULL,
    locked boolean DEFAULT false NOT NULL,
    widgets text NOT NULL,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);

CREATE SEQUENCE public.pages_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.pages_id_seq OWNED BY public.pages.id;

CREATE TABLE public.roles (
    id bigint NOT NULL,
    name character varying(100) NOT NULL,
    built_in boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone
);

CREATE SEQUENCE public.roles_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.roles_id_seq OWNED BY public.roles.id;

CREATE TABLE public.settings (
    key character varying(64) NOT NULL,
    value text NOT NULL
);

CREATE TABLE public.subchannels (
    id bigint NOT NULL,
    channel_id bigint NOT NULL,
    name character varying(100) NOT NULL,
    created_at timestamp with time zone
);

CREATE SEQUENCE public.subchannels_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.subchannels_id_seq OWNED BY public.subchannels.id;

CREATE TABLE public.team_members (
    team_id bigint NOT NULL,
    user_id bigint NOT NULL
);

CREATE TABLE public.teams (
    id bigint NOT NULL,
    name character varying(100) NOT NULL,
    description character varying(1000),
    created_at timestamp with time zone
);

CREATE SEQUENCE public.teams_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.teams_id_seq OWNED BY public.teams.id;

CREATE TABLE public.tokens (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    name character varying(100) NOT NULL,
    description character varying(1000),
    kind character varying(16) NOT NULL,
    resources text DEFAULT '[]'::text NOT NULL,
    scopes text DEFAULT '[]'::text NOT NULL,
    hash character varying(64) NOT NULL,
    hint character varying(8) NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    last_used_at timestamp with time zone,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);

CREATE SEQUENCE public.tokens_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.tokens_id_seq OWNED BY public.tokens.id;

CREATE TABLE public.user_roles (
    user_id bigint NOT NULL,
    role_id bigint NOT NULL
);

CREATE TABLE public.users (
    id bigint NOT NULL,
    email character varying(254) NOT NULL,
    password_hash character varying(100) NOT NULL,
    disabled boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);

CREATE SEQUENCE public.users_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;

ALTER TABLE ONLY public.artifacts ALTER COLUMN id SET DEFAULT nextval('public.artifacts_id_seq'::regclass);

ALTER TABLE ONLY public.audit_events ALTER COLUMN id SET DEFAULT nextval('public.audit_events_id_seq'::regclass);

ALTER TABLE ONLY public.channels ALTER COLUMN id SET DEFAULT nextval('public.channels_id_seq'::regclass);

ALTER TABLE ONLY public.grants ALTER COLUMN id SET DEFAULT nextval('public.grants_id_seq'::regclass);

ALTER TABLE ONLY public.pages ALTER COLUMN id SET DEFAULT nextval('public.pages_id_seq'::regclass);

ALTER TABLE ONLY public.roles ALTER COLUMN id SET DEFAULT nextval('public.roles_id_seq'::regclass);

ALTER TABLE ONLY public.subchannels ALTER COLUMN id SET DEFAULT nextval('public.subchannels_id_seq'::regclass);

ALTER TABLE ONLY public.teams ALTER COLUMN id SET DEFAULT nextval('public.teams_id_seq'::regclass);

ALTER TABLE ONLY public.tokens ALTER COLUMN id SET DEFAULT nextval('public.tokens_id_seq'::regclass);

ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);

INSERT INTO public.artifacts VALUES (1, 1, 0, 'noarch', 'demo-1.0-py_0.conda', 'demo', '1.0', 'py_0', 0, '["python >=3.8"]', '[]', '{"noarch":"python"}', 'MIT', '', 1700000000000, 1234, '0123456789abcdef0123456789abcdef', '0000000000000000000000000000000000000000000000000000000000000001', 2, '2026-11-25 16:06:54.423556+00');
INSERT INTO public.artifacts VALUES (2, 1, 1, 'noarch', 'demo-1.1-py_0.conda', 'demo', '1.1', 'py_0', 0, '["python >=3.8"]', '[]', '{"noarch":"python"}', 'MIT', '', 1700000000000, 1234, '0123456789abcdef0123456789abcdef', '0000000000000000000000000000000000000000000000000000000000000002', 2, '2026-11-25 16:06:54.426158+00');

INSERT INTO public.audit_events VALUES (1, '2026-11-25 16:06:54.433957+00', 1, 'admin@example.com', 'page.create', 'services', '{"title":"Services"}', '');

INSERT INTO public.channels VALUES (2, 'open', 'Public', true, 0, '2026-11-25 16:06:54.415863+00', '2026-11-25 16:06:54.415863+00');
INSERT INTO public.channels VALUES (1, 'internal', 'Private builds', false, 2, '2026-11-25 16:06:54.413612+00', '2026-11-25 16:06:54.413612+00');

INSERT INTO public.grants VALUES (1, 'channel', 1, 'read', 'team', 1);
INSERT INTO public.grants VALUES (2, 'channel', 1, 'write', 'user', 2);
INSERT INTO public.grants VALUES (5, 'page', 1, 'read', 'role', 1);
INSERT INTO public.grants VALUES (6, 'page', 1, 'read', 'user', 2);
INSERT INTO public.grants VALUES (7, 'page', 1, 'read', 'team', 1);

INSERT INTO public.pages VALUES (1, 'services', 'Services', 'page', false, '[{"type":"table","kind":"artifacts","filters":[{"column":"name","op":"contains","value":"demo"}],"hidden":["size"],"sort":null}]', '2026-11-25 16:06:54.427675+00', '2026-11-25 16:06:54.427675+00');

INSERT INTO public.roles VALUES (1, 'Admin', true, '2026-11-25 16:06:54.145782+00');
INSERT INTO public.roles VALUES (2, 'Member', true, '2026-11-25 16:06:54.146588+00');
INSERT INTO public.roles VALUES (3, 'Services-Moderator', false, '2026-11-25 16:06:54.211632+00');

INSERT INTO public.settings VALUES ('session_key', 'fixture-session-key');

INSERT INTO public.subchannels VALUES (1, 1, 'staging', '2026-11-25 16:06:54.416219+00');

INSERT INTO public.team_members VALUES (1, 3);

INSERT INTO public.teams VALUES (1, 'ops', 'Operations', '2026-11-25 16:06:54.41134+00');

INSERT INTO public.tokens VALUES (1, 2, 'ci-read', '', 'resources', '[{"channel":"internal","level":"write"}]', '[]', 'a34d23e462883c49d26e45aaafde05b6ae4dccde1f5cb9fd080eeb638f0df95f', 'YWom', '2036-01-01 00:00:00+00', NULL, '2026-11-25 16:06:54.432097+00', '2026-11-25 16:06:54.432097+00');
INSERT INTO public.tokens VALUES (2, 1, 'automation', '', 'scopes', '[]', '["page:view","channel:view","artifact:download"]', '5bad572ebb268f57155dfc997edc3f41234f2abb830ea38130384f083eec928c', '0mY5', '2036-01-01 00:00:00+00', NULL, '2026-11-25 16:06:54.433583+00', '2026-11-25 16:06:54.433583+00');

INSERT INTO public.user_roles VALUES (1, 1);
INSERT INTO public.user_roles VALUES (2, 2);
INSERT INTO public.user_roles VALUES (2, 3);
INSERT INTO public.user_roles VALUES (3, 2);
INSERT INTO public.user_roles VALUES (4, 2);

INSERT INTO public.users VALUES (1, 'admin@example.com', '$2a$10$4K8V5p7eipPlc8yPRVBVoucbgPsQdYsowxDQXEAs7fD1I8TnmlI6e', false, '2026-11-25 16:06:54.208182+00', '2026-11-25 16:06:54.208182+00');
INSERT INTO public.users VALUES (2, 'ann@example.com', '$2a$10$BTuNcAq6xnN.7cZlchs11eVrHKUmxeorpM.af71Myrfg6ZcKHpBmm', false, '2026-11-25 16:06:54.25945+00', '2026-11-25 16:06:54.25945+00');
INSERT INTO public.users VALUES (3, 'bob@example.com', '$2a$10$584LsG0.zWZDWIU2dO7qfuIkpC9fg0e.1ABbDV7rH5nFVBhd6comK', false, '2026-11-25 16:06:54.3176+00', '2026-11-25 16:06:54.3176+00');
INSERT INTO public.users VALUES (4, 'gone@example.com', '$2a$10$CAetI7TKqIAiKzoob7iIo.3Ix4dUDETK82P7pq2DfE.cN3NJw9ttK', true, '2026-11-25 16:06:54.407665+00', '2026-11-25 16:06:54.409924+00');

SELECT pg_catalog.setval('public.artifacts_id_seq', 2, true);

SELECT pg_catalog.setval('public.audit_events_id_seq', 1, true);

SELECT pg_catalog.setval('public.channels_id_seq', 2, true);

SELECT pg_catalog.setval('public.grants_id_seq', 7, true);

SELECT pg_catalog.setval('public.pages_id_seq', 1, true);

SELECT pg_catalog.setval('public.roles_id_seq', 3, true);

SELECT pg_catalog.setval('public.subchannels_id_seq', 1, true);

SELECT pg_catalog.setval('public.teams_id_seq', 1, true);

SELECT pg_catalog.setval('public.tokens_id_seq', 2, true);

SELECT pg_catalog.setval('public.users_id_seq', 4, true);

ALTER TABLE ONLY public.artifacts
    ADD CONSTRAINT artifacts_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.audit_events
    ADD CONSTRAINT audit_events_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.channels
    ADD CONSTRAINT channels_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.grants
    ADD CONSTRAINT grants_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.pages
    ADD CONSTRAINT pages_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.roles
    ADD CONSTRAINT roles_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (key);

ALTER TABLE ONLY public.subchannels
    ADD CONSTRAINT subchannels_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.team_members
    ADD CONSTRAINT team_members_pkey PRIMARY KEY (team_id, user_id);

ALTER TABLE ONLY public.teams
    ADD CONSTRAINT teams_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.tokens
    ADD CONSTRAINT tokens_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.user_roles
    ADD CONSTRAINT user_roles_pkey PRIMARY KEY (user_id, role_id);

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

CREATE UNIQUE INDEX idx_artifact_place ON public.artifacts USING btree (channel_id, subchannel_id, subdir, filename);

CREATE INDEX idx_artifact_subdir ON public.artifacts USING btree (channel_id, subchannel_id, subdir);

CREATE INDEX idx_artifacts_name ON public.artifacts USING btree (name);

CREATE INDEX idx_artifacts_sha256 ON public.artifacts USING btree (sha256);

CREATE INDEX idx_audit_events_action ON public.audit_events USING btree (action);

CREATE INDEX idx_audit_events_actor_email ON public.audit_events USING btree (actor_email);

CREATE INDEX idx_audit_events_actor_id ON public.audit_events USING btree (actor_id);

CREATE INDEX idx_audit_events_at ON public.audit_events USING btree (at);

CREATE UNIQUE INDEX idx_channels_name ON public.channels USING btree (name);

CREATE INDEX idx_grant_principal ON public.grants USING btree (principal_kind, principal_id);

CREATE UNIQUE INDEX idx_grant_unique ON public.grants USING btree (resource_type, resource_id, level, principal_kind, principal_id);

CREATE UNIQUE INDEX idx_pages_identifier ON public.pages USING btree (identifier);

CREATE UNIQUE INDEX idx_roles_name ON public.roles USING btree (name);

CREATE UNIQUE INDEX idx_sub_name ON public.subchannels USING btree (channel_id, name);

CREATE UNIQUE INDEX idx_teams_name ON public.teams USING btree (name);

CREATE UNIQUE INDEX idx_token_owner_name ON public.tokens USING btree (user_id, name);

CREATE UNIQUE INDEX idx_tokens_hash ON public.tokens USING btree (hash);

CREATE UNIQUE INDEX idx_users_email ON public.users USING btree (email);

ALTER TABLE ONLY public.team_members
    ADD CONSTRAINT fk_team_members_team FOREIGN KEY (team_id) REFERENCES public.teams(id);

ALTER TABLE ONLY public.team_members
    ADD CONSTRAINT fk_team_members_user FOREIGN KEY (user_id) REFERENCES public.users(id);

ALTER TABLE ONLY public.tokens
    ADD CONSTRAINT fk_tokens_user FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.user_roles
    ADD CONSTRAINT fk_user_roles_role FOREIGN KEY (role_id) REFERENCES public.roles(id);

ALTER TABLE ONLY public.user_roles
    ADD CONSTRAINT fk_user_roles_user FOREIGN KEY (user_id) REFERENCES public.users(id);

