import pg from 'pg';

/** The role and database Intake's own work uses on the embedded server: not a superuser. */
const appRole = 'intake';
const appDatabase = 'intake';

interface Server {
  port: number;
  /** The superuser's password. */
  adminPassword: string;
  /** The application role's password. */
  appPassword: string;
  /** This process started the server: nobody else is connected, so an earlier release's data may be moved. */
  startedHere: boolean;
}

const connect = async (server: Server, database: string) => {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: server.port,
    user: 'postgres',
    password: server.adminPassword,
    database,
  });
  await client.connect();
  return client;
};

/**
 * Intake's data lives in the database `intake`, owned by the role `intake`, which is not a
 * superuser: a flaw in Intake can then touch its own tables, not run programs on the host (what a
 * superuser's `COPY … FROM PROGRAM` does). The superuser only sets this up. A home of an earlier
 * release kept its data in `postgres`, as the superuser: that database becomes `intake` and
 * everything in it passes to the role (once, in a process that started the server alone).
 * Returns the URL to connect as the role.
 */
export async function ensureAppDatabase(server: Server): Promise<string> {
  // A move stopped halfway (renamed, not yet recreated) leaves no `postgres`: make it again.
  const template = await connect(server, 'template1');
  try {
    if ((await template.query("select 1 from pg_database where datname = 'postgres'")).rowCount === 0)
      await template.query('create database postgres');
  } finally {
    await template.end();
  }
  const admin = await connect(server, 'postgres');
  let legacy = false;
  try {
    await admin.query(
      `do $$ begin
         if not exists (select 1 from pg_roles where rolname = '${appRole}') then create role ${appRole}; end if;
       end $$`,
    );
    await admin.query(
      `alter role ${appRole} login nosuperuser nocreatedb nocreaterole ` +
        `password ${admin.escapeLiteral(server.appPassword)}`,
    );
    const exists = (await admin.query('select 1 from pg_database where datname = $1', [appDatabase])).rowCount === 1;
    if (!exists) {
      legacy =
        (await admin.query<{ found: boolean }>("select to_regclass('public.schema_migration') is not null as found"))
          .rows[0]?.found === true;
      if (!legacy) await admin.query(`create database ${appDatabase} owner ${appRole}`);
    }
  } finally {
    await admin.end();
  }
  if (legacy) {
    if (!server.startedHere)
      throw new Error(
        'The embedded database holds the data of an earlier release, which moves to its own role when Intake ' +
          'starts it: stop every Intake process of this home, then start one.',
      );
    await moveLegacyData(server);
  }
  // Also after a move stopped halfway: whatever in the database is not yet the role's becomes its.
  await giveEverythingToTheRole(server);
  return `postgres://${appRole}:${encodeURIComponent(server.appPassword)}@127.0.0.1:${server.port}/${appDatabase}`;
}

async function moveLegacyData(server: Server): Promise<void> {
  const template = await connect(server, 'template1');
  try {
    await template.query(`alter database postgres rename to ${appDatabase}`);
    await template.query('create database postgres');
  } finally {
    await template.end();
  }
}

/** Idempotent: the database, its schemas and everything in them belong to the role. */
async function giveEverythingToTheRole(server: Server): Promise<void> {
  const admin = await connect(server, 'postgres');
  try {
    await admin.query(`alter database ${appDatabase} owner to ${appRole}`);
  } finally {
    await admin.end();
  }
  const data = await connect(server, appDatabase);
  try {
    // Everything of Intake's and pg-boss's schemas: tables (their sequences follow), views,
    // sequences of their own, functions, types; then the schemas themselves.
    await data.query(`do $$
      declare r record;
      begin
        for r in select n.nspname, c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
                  where n.nspname in ('public', 'pgboss') and c.relkind in ('r', 'p', 'v', 'm', 'S')
                    and pg_get_userbyid(c.relowner) <> '${appRole}'
                    and not exists (select 1 from pg_depend d where d.objid = c.oid and d.classid = 'pg_class'::regclass
                                      and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')) loop
          execute format('alter %s %I.%I owner to ${appRole}',
            case r.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'materialized view' else
              'table' end,
            r.nspname, r.relname);
        end loop;
        for r in select n.nspname, p.proname, pg_get_function_identity_arguments(p.oid) as args, p.prokind
                   from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                  where n.nspname in ('public', 'pgboss') and pg_get_userbyid(p.proowner) <> '${appRole}' loop
          execute format('alter %s %I.%I(%s) owner to ${appRole}',
            case r.prokind when 'p' then 'procedure' else 'function' end, r.nspname, r.proname, r.args);
        end loop;
        for r in select n.nspname, t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace
                  where n.nspname in ('public', 'pgboss') and t.typtype in ('e', 'd')
                    and pg_get_userbyid(t.typowner) <> '${appRole}' loop
          execute format('alter type %I.%I owner to ${appRole}', r.nspname, r.typname);
        end loop;
        if exists (select 1 from pg_namespace where nspname = 'pgboss' and pg_get_userbyid(nspowner) <> '${appRole}')
          then
          execute 'alter schema pgboss owner to ${appRole}';
        end if;
      end $$`);
  } finally {
    await data.end();
  }
}
