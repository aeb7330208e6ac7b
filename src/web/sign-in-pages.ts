import { insertAudit } from '../persist/row-outcomes.ts';
import { findStaff, verifySignIn } from '../staff/accounts.ts';
import { html, publicPage } from './html.ts';
import { type RequestContext, type Route, safeNextPath, type WebResponse } from './routes.ts';

function signInForm(
  ctx: RequestContext,
  options: { next: string; username?: string; error?: string; status?: number },
): WebResponse {
  const body = html`
${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ''}
<form method="post" action="/login" class="card">
<input type="hidden" name="_csrf" value="${ctx.csrfToken}">
<input type="hidden" name="next" value="${options.next}">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${
    options.username ?? ''
  }" autocomplete="username" autocapitalize="none" spellcheck="false" maxlength="100" required autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" maxlength="1024" required>
<button type="submit">Sign in</button>
</form>
<p class="muted">Staff accounts are set up by the operators (<code>intake staff add</code>).</p>`;
  return { status: options.status ?? 200, html: publicPage({ title: 'Sign in to Intake', language: 'en', body }) };
}

/**
 * Who a failed sign-in is recorded as: the account when it exists, never the text typed for an
 * unknown one, which may be a password typed in the wrong box.
 */
async function auditActor(ctx: RequestContext, typed: string): Promise<string> {
  const account = typed.trim() === '' ? null : await findStaff(ctx.services.db, typed);
  return account ? account.username : '(unknown account)';
}

async function audit(
  ctx: RequestContext,
  actor: string,
  action: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await insertAudit(ctx.services.db, [
    { actor, action, asn: null, fileId: null, line: null, detail: { address: ctx.clientAddress, ...detail } },
  ]);
}

const showSignIn: Route = {
  method: 'GET',
  pattern: '/login',
  access: 'public',
  async handle(ctx) {
    const next = safeNextPath(ctx.url.searchParams.get('next'));
    if (ctx.staff) return { redirect: next };
    return signInForm(ctx, { next });
  },
};

/**
 * The same words for an unknown account, a wrong password and a disabled account. Past the
 * failure limit each attempt is held a little longer (src/staff/sign-in-limit.ts), never refused.
 */
const signIn: Route = {
  method: 'POST',
  pattern: '/login',
  access: 'public',
  async handle(ctx) {
    const { config, db } = ctx.services;
    const next = safeNextPath(ctx.form.get('next'));
    const username = (ctx.form.get('username') ?? '').slice(0, 100);
    const password = ctx.form.get('password') ?? '';
    if (username.trim() === '' || password === '')
      return signInForm(ctx, { next, username, error: 'Enter your username and your password.', status: 400 });

    const result = await verifySignIn(
      db,
      { username, password, address: ctx.clientAddress },
      {
        maxFailures: config.server.maxSignInFailures,
        windowMinutes: config.server.signInWindowMinutes,
      },
    );
    if (result.outcome === 'failed') {
      await audit(ctx, await auditActor(ctx, username), 'staff_sign_in_failed', {});
      return signInForm(ctx, { next, username, status: 401, error: 'The username or the password is not right.' });
    }
    await ctx.startSession(result.staff.username);
    await audit(ctx, result.staff.username, 'staff_signed_in', {});
    return { redirect: next };
  },
};

const signOut: Route = {
  method: 'POST',
  pattern: '/logout',
  access: 'staff',
  async handle(ctx) {
    await ctx.endSession();
    await audit(ctx, ctx.staff?.username ?? '(unknown)', 'staff_signed_out', {});
    return { redirect: '/login' };
  },
};

export const authRoutes: Route[] = [showSignIn, signIn, signOut];
