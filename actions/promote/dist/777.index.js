export const id = 777;
export const ids = [777];
export const modules = {

/***/ 7777:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  checkRequestApproval: () => (/* reexport */ checkRequestApproval),
  checkRunApproval: () => (/* reexport */ checkRunApproval),
  createGitHubClient: () => (/* reexport */ createGitHubClient),
  parseRepository: () => (/* reexport */ parseRepository),
  startPromotionDeployment: () => (/* reexport */ startPromotionDeployment)
});

// UNUSED EXPORTS: ACTIONS_BOT, APPROVAL_LABEL, ORPHAN_GRACE_MS, addComment, authenticatedLogin, canWrite, closeIssue, collaboratorPermission, createDeployment, createIssue, eligibilityResolver, ensureLabel, ensureRequest, finishVerificationDeployment, gateLogin, getIssue, getRun, listAllComments, listLabelledIssues, openRequests, pendingApprovals, rateLimitDelay, readPendingForStatus, readRequest, readTrustedRequest, realClock, rollbackDeployments, runApprovals, setDeploymentStatus, teamMembership, updateIssueBody

// EXTERNAL MODULE: ./node_modules/@actions/github/lib/github.js + 22 modules
var github = __webpack_require__(2413);
;// CONCATENATED MODULE: ./packages/github/src/client.ts
/**
 * The GitHub client every adapter uses: `@actions/github`'s Octokit with
 * - an ETag cache for GETs: a repeated GET sends `If-None-Match`, and a `304 Not Modified` (which
 *   GitHub does not count against the rate limit) is answered from the cache;
 * - waits on rate limits: a 403/429 with `Retry-After`, or with `x-ratelimit-remaining: 0`, waits
 *   (on an injectable clock) and tries again, a bounded number of times;
 * - request statistics, so callers and benchmarks can see what polling costs.
 * It writes nothing to the runner's log: waits are reported through `onWait`.
 */

const realClock = {
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
function header(headers, name) {
    const value = headers?.[name];
    return value === undefined || value === null ? undefined : String(value);
}
/** How long a rate-limit answer asks us to wait, or undefined when it is not a rate limit. */
function rateLimitDelay(status, headers, nowMs, message = '') {
    if (status !== 403 && status !== 429)
        return undefined;
    const retryAfter = header(headers, 'retry-after');
    if (retryAfter !== undefined) {
        const seconds = Number(retryAfter);
        if (Number.isFinite(seconds))
            return Math.max(0, seconds * 1000);
        const at = Date.parse(retryAfter);
        if (!Number.isNaN(at))
            return Math.max(0, at - nowMs);
    }
    if (header(headers, 'x-ratelimit-remaining') === '0') {
        const reset = Number(header(headers, 'x-ratelimit-reset'));
        if (Number.isFinite(reset))
            return Math.max(1000, reset * 1000 - nowMs + 1000);
    }
    if (status === 429 || /secondary rate limit/i.test(message))
        return 60_000;
    return undefined;
}
function createGitHubClient(options) {
    const clock = options.clock ?? realClock;
    const maxRetries = options.maxRetries ?? 3;
    const maxWaitMs = options.maxWaitMs ?? 15 * 60_000;
    const baseUrl = (options.baseUrl ?? process.env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, '');
    const octokit = (0,github/* getOctokit */.Q)(options.token, { baseUrl });
    const stats = { sent: 0, notModified: 0, counted: 0, rateLimitWaits: 0, waitedMs: 0 };
    const cache = new Map();
    const note = (headers) => {
        const remaining = Number(header(headers, 'x-ratelimit-remaining'));
        const limit = Number(header(headers, 'x-ratelimit-limit'));
        if (Number.isFinite(remaining))
            stats.remaining = remaining;
        if (Number.isFinite(limit))
            stats.limit = limit;
    };
    octokit.hook.wrap('request', async (request, requestOptions) => {
        const endpoint = octokit.request.endpoint.parse(requestOptions);
        const isGet = endpoint.method === 'GET';
        const key = `${endpoint.method} ${endpoint.url}`;
        for (let attempt = 1;; attempt++) {
            const cached = isGet ? cache.get(key) : undefined;
            // Octokit's hooks are bound to this options object: change it in place (options passed to
            // `request` would be ignored by the auth hook inside).
            const headers = requestOptions.headers;
            if (cached)
                headers['if-none-match'] = cached.etag;
            else
                delete headers['if-none-match'];
            stats.sent++;
            try {
                const response = await request(requestOptions);
                stats.counted++;
                note(response.headers);
                const etag = header(response.headers, 'etag');
                if (isGet && etag)
                    cache.set(key, {
                        etag,
                        response: {
                            status: response.status,
                            url: response.url,
                            headers: response.headers,
                            data: structuredClone(response.data),
                        },
                    });
                return response;
            }
            catch (err) {
                const e = err;
                if (e.status === 304 && cached) {
                    stats.notModified++;
                    note(e.response?.headers);
                    return { ...cached.response, data: structuredClone(cached.response.data) };
                }
                if (typeof e.status === 'number')
                    stats.counted++;
                const delay = typeof e.status === 'number'
                    ? rateLimitDelay(e.status, e.response?.headers, clock.now(), e.message)
                    : undefined;
                if (delay === undefined || attempt > maxRetries || delay > maxWaitMs)
                    throw err;
                stats.rateLimitWaits++;
                stats.waitedMs += delay;
                options.onWait?.({ status: e.status, waitMs: delay, url: endpoint.url, attempt });
                await clock.sleep(delay);
            }
        }
    });
    return { octokit, stats, clock };
}

// EXTERNAL MODULE: ./packages/core/src/errors.ts
var errors = __webpack_require__(7638);
;// CONCATENATED MODULE: ./packages/github/src/adapters.ts
/**
 * The GitHub API calls the approval gate and the deployment records need, over the client in
 * client.ts. Each returns plain data (no Octokit types leak out) and never writes to the log.
 */

const adapters_APPROVAL_LABEL = 'sd-approval';
function parseRepository(text) {
    const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(text.trim());
    if (!m)
        throw new errors/* UserError */.yo(`repository ${(0,errors/* show */.WU)(text)} is not "owner/name"`);
    return { owner: m[1], repo: m[2] };
}
function statusOf(err) {
    const status = err.status;
    return typeof status === 'number' ? status : undefined;
}
function toIssue(raw) {
    return {
        number: raw.number,
        title: raw.title,
        body: raw.body ?? '',
        state: raw.state === 'closed' ? 'closed' : 'open',
        stateReason: raw.state_reason ?? undefined,
        author: raw.user?.login ?? '',
        labels: raw.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter(Boolean),
        url: raw.html_url,
        createdAt: raw.created_at,
        updatedAt: raw.updated_at,
    };
}
function toComment(raw) {
    return {
        id: raw.id,
        author: raw.user?.login ?? '',
        body: raw.body ?? '',
        createdAt: raw.created_at,
        updatedAt: raw.updated_at,
        url: raw.html_url,
    };
}
/** The login behind the token, or undefined when the token may not ask (a GITHUB_TOKEN). */
async function authenticatedLogin(client) {
    try {
        const { data } = await client.octokit.rest.users.getAuthenticated();
        return data.login;
    }
    catch (err) {
        if (statusOf(err) === 403)
            return undefined;
        throw err;
    }
}
/**
 * Issues carrying a label (all pages), newest first. Lists rather than searches: the search
 * index lags behind new issues, so a re-run could miss the request it just opened.
 */
async function adapters_listLabelledIssues(client, repo, options = {}) {
    const raw = await client.octokit.paginate(client.octokit.rest.issues.listForRepo, {
        ...repo,
        labels: options.label ?? adapters_APPROVAL_LABEL,
        state: options.state ?? 'open',
        per_page: 100,
    });
    return raw.filter((i) => !i.pull_request).map(toIssue);
}
async function getIssue(client, repo, number) {
    try {
        const { data } = await client.octokit.rest.issues.get({ ...repo, issue_number: number });
        return toIssue(data);
    }
    catch (err) {
        if (statusOf(err) === 404 || statusOf(err) === 410)
            throw new errors/* UserError */.yo(`issue #${number} was not found in ${repo.owner}/${repo.repo}`);
        throw err;
    }
}
async function adapters_createIssue(client, repo, issue) {
    const { data } = await client.octokit.rest.issues.create({
        ...repo,
        title: issue.title,
        body: issue.body,
        labels: issue.labels ?? [adapters_APPROVAL_LABEL],
    });
    return toIssue(data);
}
async function updateIssueBody(client, repo, number, change) {
    const { data } = await client.octokit.rest.issues.update({ ...repo, issue_number: number, ...change });
    return toIssue(data);
}
/** Every comment of an issue, oldest first, across all pages. */
async function adapters_listAllComments(client, repo, number) {
    const raw = await client.octokit.paginate(client.octokit.rest.issues.listComments, {
        ...repo,
        issue_number: number,
        per_page: 100,
    });
    return raw.map(toComment);
}
async function adapters_addComment(client, repo, number, body) {
    const { data } = await client.octokit.rest.issues.createComment({ ...repo, issue_number: number, body });
    return toComment(data);
}
async function adapters_closeIssue(client, repo, number, reason) {
    const { data } = await client.octokit.rest.issues.update({
        ...repo,
        issue_number: number,
        state: 'closed',
        state_reason: reason,
    });
    return toIssue(data);
}
/** Make sure the label exists (creating it is a no-op when someone else just did). */
async function adapters_ensureLabel(client, repo, name, options = {}) {
    try {
        await client.octokit.rest.issues.getLabel({ ...repo, name });
        return 'exists';
    }
    catch (err) {
        if (statusOf(err) !== 404)
            throw err;
    }
    try {
        await client.octokit.rest.issues.createLabel({
            ...repo,
            name,
            color: options.color ?? '0e8a16',
            ...(options.description ? { description: options.description } : {}),
        });
        return 'created';
    }
    catch (err) {
        if (statusOf(err) === 422)
            return 'exists';
        throw err;
    }
}
/**
 * A user's membership of an organisation team (`org/team`). 404 means not a member. A token that
 * may not read the organisation's teams (the workflow's GITHUB_TOKEN) is an error that says so:
 * a gate must fail closed rather than treat everyone as a non-member.
 */
async function teamMembership(client, team, login) {
    const [org, slug] = team.split('/');
    if (!org || !slug)
        throw new errors/* UserError */.yo(`team ${(0,errors/* show */.WU)(team)} is not "org/team"`);
    try {
        const { data } = await client.octokit.rest.teams.getMembershipForUserInOrg({
            org,
            team_slug: slug,
            username: login,
        });
        return data.state === 'active' ? 'active' : 'pending';
    }
    catch (err) {
        const status = statusOf(err);
        if (status === 404)
            return 'none';
        if (status === 403 || status === 401)
            throw new errors/* UserError */.yo(`the token may not read the members of team ${(0,errors/* show */.WU)(team)} (GitHub answered ${status}); ` +
                'the workflow GITHUB_TOKEN cannot read organisation teams: give a token that can ' +
                '(a GitHub App token or a fine-grained token with "Members: read")');
        throw err;
    }
}
/** A user's permission on the repository (role name where GitHub gives one). */
async function collaboratorPermission(client, repo, login) {
    try {
        const { data } = await client.octokit.rest.repos.getCollaboratorPermissionLevel({
            ...repo,
            username: login,
        });
        const role = (data.role_name ?? data.permission);
        if (['admin', 'maintain', 'write', 'triage', 'read'].includes(role))
            return role;
        return (['admin', 'write', 'read'].includes(data.permission) ? data.permission : 'none');
    }
    catch (err) {
        if (statusOf(err) === 404)
            return 'none';
        throw err;
    }
}
/** Whether a permission lets someone approve by default (write, maintain or admin). */
function canWrite(permission) {
    return permission === 'admin' || permission === 'maintain' || permission === 'write';
}
async function getRun(client, repo, runId) {
    const { data } = await client.octokit.rest.actions.getWorkflowRun({ ...repo, run_id: runId });
    const actor = data.actor?.login ?? '';
    return {
        id: data.id,
        actor,
        triggeringActor: data.triggering_actor?.login ?? actor,
        event: data.event,
        url: data.html_url,
    };
}
/** The reviews of a run's environment gates (`/actions/runs/{id}/approvals`). */
async function runApprovals(client, repo, runId) {
    const { data } = await client.octokit.rest.actions.getReviewsForRun({ ...repo, run_id: runId });
    return data.map((a) => ({
        user: a.user.login,
        state: a.state,
        comment: a.comment,
        environments: a.environments.map((e) => e.name ?? '').filter(Boolean),
    }));
}
async function adapters_createDeployment(client, repo, d) {
    const { data, status } = await client.octokit.rest.repos.createDeployment({
        ...repo,
        ref: d.ref,
        environment: d.environment,
        payload: d.payload,
        auto_merge: false,
        required_contexts: [],
        ...(d.description ? { description: d.description } : {}),
        ...(d.productionEnvironment !== undefined ? { production_environment: d.productionEnvironment } : {}),
    });
    if (status !== 201 || !('id' in data))
        throw new Error(`GitHub did not create the deployment (status ${status}): ${(0,errors/* show */.WU)(data)}`);
    return { id: data.id, url: data.url };
}
async function adapters_setDeploymentStatus(client, repo, deploymentId, s) {
    const { data } = await client.octokit.rest.repos.createDeploymentStatus({
        ...repo,
        deployment_id: deploymentId,
        state: s.state,
        ...(s.environmentUrl ? { environment_url: s.environmentUrl } : {}),
        ...(s.logUrl ? { log_url: s.logUrl } : {}),
        ...(s.description ? { description: s.description.slice(0, 140) } : {}),
        ...(s.autoInactive !== undefined ? { auto_inactive: s.autoInactive } : {}),
    });
    return { id: data.id };
}

// EXTERNAL MODULE: ./packages/core/src/promotion-gates.ts
var promotion_gates = __webpack_require__(41);
// EXTERNAL MODULE: ./packages/core/src/approval.ts
var approval = __webpack_require__(522);
;// CONCATENATED MODULE: ./packages/github/src/approval-requests.ts
/**
 * Approval requests as the gate and `promote` use them: open (or reuse) the one request per
 * (service, environment, digest), supersede older ones, and read a request back into a decision
 * by the rules of `@sd-actions/core`'s approval module, resolving who is eligible through the API.
 */


/** The login a workflow's GITHUB_TOKEN acts as (it may not read GET /user). */
const ACTIONS_BOT = 'github-actions[bot]';
/** Who the gate's token writes as: its login, or the Actions bot for a GITHUB_TOKEN. */
async function gateLogin(client) {
    return (await authenticatedLogin(client)) ?? ACTIONS_BOT;
}
/** Open requests with a valid binding, optionally for one service and environment. */
async function openRequests(client, repo, trustedAuthors, filter = {}) {
    return (await scanRequests(client, repo, trustedAuthors, filter)).requests;
}
/**
 * Open requests with a valid binding, and orphans: open issues the gate opened for this service
 * and environment (by their title) that carry no comment of the gate at all — a run ended between
 * creating the issue and posting the binding. Orphans are only looked for with a service and
 * environment given.
 */
async function scanRequests(client, repo, trustedAuthors, filter) {
    const requests = [];
    const orphans = [];
    const trusted = (login) => trustedAuthors.some((t) => t.toLowerCase() === login.toLowerCase());
    for (const issue of await listLabelledIssues(client, repo, { label: APPROVAL_LABEL, state: 'open' })) {
        if (!trusted(issue.author))
            continue;
        const comments = await listAllComments(client, repo, issue.number);
        const found = readBinding(comments, trustedAuthors);
        if ('problem' in found) {
            if (filter.service !== undefined &&
                filter.environment !== undefined &&
                !comments.some((c) => trusted(c.author)) &&
                isApprovalTitleFor(issue.title, filter.service, filter.environment))
                orphans.push(issue);
            continue;
        }
        const b = found.binding;
        if (filter.service !== undefined && b.service !== filter.service)
            continue;
        if (filter.environment !== undefined && b.environment !== filter.environment)
            continue;
        requests.push({ issue, binding: b });
    }
    return { requests, orphans };
}
/** An issue younger than this may still be getting its binding from a run in progress. */
const ORPHAN_GRACE_MS = 60_000;
/**
 * The request for a binding: the open one for the same (service, environment, digest) if there
 * is one, else a new issue plus its binding comment. Open requests for the same service and
 * environment with another digest are closed as superseded, with a comment.
 */
async function ensureRequest(client, repo, request) {
    const { binding } = request;
    const scan = await scanRequests(client, repo, [request.gateLogin], {
        service: binding.service,
        environment: binding.environment,
    });
    const existing = scan.requests;
    // Orphans are never trusted (no binding): close them before opening the fresh request.
    const nowMs = request.nowMs ?? client.clock.now();
    const orphans = [];
    for (const orphan of scan.orphans) {
        if (nowMs - Date.parse(orphan.createdAt) < ORPHAN_GRACE_MS)
            continue;
        await addComment(client, repo, orphan.number, renderOrphanComment());
        await closeIssue(client, repo, orphan.number, 'not_planned');
        orphans.push(orphan.number);
    }
    const same = existing.find((r) => r.binding.digest === binding.digest);
    const older = existing.filter((r) => r !== same);
    let result;
    if (same)
        result = { issue: same.issue, binding: same.binding, created: false };
    else {
        await ensureLabel(client, repo, APPROVAL_LABEL, { description: 'sd-actions approval request' });
        const issue = await createIssue(client, repo, {
            title: approvalTitle(binding),
            body: renderApprovalBody({ ...request.body, binding }),
            labels: [APPROVAL_LABEL],
        });
        await addComment(client, repo, issue.number, renderBindingComment(binding));
        result = { issue, binding, created: true };
    }
    const superseded = [];
    for (const old of older) {
        await addComment(client, repo, old.issue.number, renderSupersededComment({
            version: result.binding.version,
            digest: result.binding.digest,
            url: result.issue.url,
        }));
        await closeIssue(client, repo, old.issue.number, 'not_planned');
        superseded.push(old.issue.number);
    }
    return { ...result, superseded, orphans };
}
/**
 * A request the gate can trust, without judging it: labelled, opened by the gate's user, with an
 * intact binding (what it approves: service, environment, version, digest, who asked).
 */
async function readTrustedRequest(client, repo, number, gateLogin) {
    const issue = await getIssue(client, repo, number);
    if (!issue.labels.some((l) => l.toLowerCase() === adapters_APPROVAL_LABEL))
        throw new errors/* UserError */.yo(`issue #${number} is not an approval request (it has no ${adapters_APPROVAL_LABEL} label)`);
    if (issue.author.toLowerCase() !== gateLogin.toLowerCase())
        throw new errors/* UserError */.yo(`issue #${number} cannot be trusted as an approval request: it was opened by ${(0,errors/* show */.WU)(issue.author)}, not by the gate's ${(0,errors/* show */.WU)(gateLogin)}`);
    const comments = await adapters_listAllComments(client, repo, number);
    const found = (0,approval/* readBinding */.YM)(comments, [gateLogin]);
    if ('problem' in found)
        throw new errors/* UserError */.yo(`issue #${number} cannot be trusted as an approval request: ${found.problem}`);
    const bindingComment = comments.find((c) => c.id === found.comment.id);
    return { issue, comments, binding: found.binding, bindingComment };
}
/** A memoised eligibility check for one policy: listed logins, active team members, or writers. */
function eligibilityResolver(policy, repo, clients) {
    if (policy.teams.length > 0 && !clients.membership)
        throw new errors/* UserError */.yo(`approvers lists team${policy.teams.length > 1 ? 's' : ''} ${policy.teams.map((t) => (0,errors/* show */.WU)(t)).join(', ')}, ` +
            'but no token that can read organisation teams was given (the workflow GITHUB_TOKEN cannot): ' +
            'pass a GitHub App or fine-grained token with "Members: read" as membership-token');
    const memo = new Map();
    const check = async (login) => {
        const listed = policy.users.length > 0 || policy.teams.length > 0;
        if (!listed)
            return canWrite(await collaboratorPermission(clients.repo, repo, login));
        if (policy.users.some((u) => u.toLowerCase() === login.toLowerCase()))
            return true;
        for (const team of policy.teams)
            if ((await teamMembership(clients.membership, team, login)) === 'active')
                return true;
        return false;
    };
    return (login) => {
        const key = login.toLowerCase();
        let p = memo.get(key);
        if (!p)
            memo.set(key, (p = check(login)));
        return p;
    };
}
/**
 * Read a request and decide it: the binding must be intact (first comment by the gate's user,
 * unedited); the votes are judged by the policy with the binding's requester and triggering
 * actor excluded; timeouts count from the binding's `requestedAt`.
 */
async function readRequest(clients, repo, number, options) {
    const client = clients.repo;
    const { issue, comments, binding, bindingComment } = await readTrustedRequest(client, repo, number, options.gateLogin);
    const found = { comment: bindingComment };
    const eligible = eligibilityResolver(options.policy, repo, clients);
    const excluded = [binding.requester, binding.triggeringActor];
    // Resolve eligibility only for people whose vote could count (the API calls cost rate limit).
    const known = new Map();
    for (const c of comments) {
        if (c.id === found.comment.id || c.updatedAt !== c.createdAt)
            continue;
        if (excluded.some((x) => x.toLowerCase() === c.author.toLowerCase()))
            continue;
        if (c.author.toLowerCase() === options.gateLogin.toLowerCase())
            continue;
        if (known.has(c.author.toLowerCase()))
            continue;
        if (!(0,approval/* parseVote */.ER)(c.body))
            continue;
        known.set(c.author.toLowerCase(), await eligible(c.author));
    }
    const decision = (0,approval/* decideApproval */.gC)({
        comments,
        count: options.policy.count,
        isEligible: (login) => known.get(login.toLowerCase()) ?? false,
        excluded,
        bindingAuthor: found.comment.author,
        createdAtMs: Date.parse(binding.requestedAt),
        timeoutMs: options.policy.timeoutMs,
        nowMs: options.nowMs ?? client.clock.now(),
    });
    return { issue, binding, comments, decision };
}

;// CONCATENATED MODULE: ./packages/github/src/promotion-approval.ts
/**
 * `promote`'s `[approval]` rule, the API side: read the evidence (an approval request's binding
 * and comments, or the run's environment reviews) and judge it by the CONFIG's policy with the
 * rules in `@sd-actions/core` (`judgeRequestApproval`, `judgeRunApproval`). Nothing is written:
 * a request is never commented on or closed from here. Problems that only mean "no valid
 * approval" (no such issue, not a request, a tampered record) come back as refusals, so promote
 * names the rule; anything else (network, permissions) is thrown.
 */



/** Issue mode: the request `number`, read now and judged by `policy` (the config's). */
async function checkRequestApproval(clients, repo, number, options) {
    const fullName = `${repo.owner}/${repo.repo}`;
    const login = await gateLogin(clients.repo);
    const checked = `approval request #${number} in ${fullName} (requests opened by ${login})`;
    let read;
    try {
        read = await readRequest(clients, repo, number, {
            policy: options.policy,
            gateLogin: login,
            ...(options.nowMs !== undefined ? { nowMs: options.nowMs } : {}),
        });
    }
    catch (err) {
        const status = err.status;
        if (status === 404 || status === 410)
            return {
                checked,
                refusal: {
                    rule: promotion_gates/* APPROVAL_RULE */.jj,
                    message: `approval request #${number} does not exist in ${fullName}; pass await-approval's issue-number output`,
                },
            };
        // readRequest's own refusals: not a request, opened by someone else, a tampered binding.
        if (err instanceof errors/* UserError */.yo)
            return { checked, refusal: { rule: promotion_gates/* APPROVAL_RULE */.jj, message: err.message } };
        throw err;
    }
    return {
        checked,
        ...(0,promotion_gates/* judgeRequestApproval */.aF)({
            number,
            url: read.issue.url,
            binding: read.binding,
            decision: read.decision,
            policy: options.policy,
            expected: options.target,
        }),
    };
}
/**
 * `via: environment`: the reviews of this run's environment gate, each approver eligible by the
 * policy and neither the run's actor nor its triggering actor.
 */
async function checkRunApproval(clients, repo, runId, options) {
    const run = await getRun(clients.repo, repo, runId);
    const reviews = await runApprovals(clients.repo, repo, runId);
    const eligible = eligibilityResolver(options.policy, repo, clients);
    const excluded = [run.actor, run.triggeringActor].filter(Boolean);
    const known = new Map();
    for (const r of reviews)
        if (r.state === 'approved' && r.environments.includes(options.environment))
            known.set(r.user.toLowerCase(), await eligible(r.user));
    const decision = (0,promotion_gates/* decideRunReviews */.xX)({
        reviews,
        environment: options.environment,
        count: options.policy.count,
        excluded,
        isEligible: (login) => known.get(login.toLowerCase()) ?? false,
    });
    return {
        checked: `the ${options.environment} environment reviews of run ${runId}`,
        ...(0,promotion_gates/* judgeRunApproval */.ij)({
            runId,
            runUrl: options.runUrl ?? run.url,
            environment: options.environment,
            decision,
            policy: options.policy,
        }),
    };
}

;// CONCATENATED MODULE: ./packages/github/src/deployments-flow.ts
/**
 * GitHub Deployments for the promotion loop (issue 14), best effort: a promotion creates a
 * deployment (`ref` = the source commit, `payload` = service, version, digest) with status
 * `in_progress`; a verification marks the newest deployment of that digest `success` or `failure`.
 * Nothing here throws: an API failure is handed to `warn`, and the caller's step carries on.
 */


function deployments_flow_open(t) {
    if (!t.token || !t.repository || !t.apiUrl)
        return undefined;
    try {
        const repo = parseRepository(t.repository);
        // One try, no rate-limit waits: a deployment record never holds up a promotion.
        const client = createGitHubClient({ token: t.token, baseUrl: t.apiUrl, maxRetries: 0, maxWaitMs: 0 });
        return { client, repo };
    }
    catch (err) {
        t.warn(`GitHub Deployments skipped: ${err.message}`);
        return undefined;
    }
}
const reason = (err) => (err?.message ?? String(err)).split('\n')[0];
/** Create the promotion's deployment with status `in_progress`; its id, or undefined when skipped or failed. */
async function startPromotionDeployment(t, s) {
    const gh = deployments_flow_open(t);
    if (!gh)
        return undefined;
    try {
        const d = await adapters_createDeployment(gh.client, gh.repo, {
            ref: s.commit,
            environment: s.environment,
            payload: { service: s.service, version: s.version, digest: s.digest },
            description: `${s.service} ${s.version}`,
            ...(s.production !== undefined ? { productionEnvironment: s.production } : {}),
        });
        await adapters_setDeploymentStatus(gh.client, gh.repo, d.id, {
            state: 'in_progress',
            environmentUrl: s.environmentUrl,
            logUrl: s.logUrl,
            description: `promoting ${s.service} ${s.version}`,
        });
        return d.id;
    }
    catch (err) {
        t.warn(`GitHub Deployments: could not record the deployment of ${s.service} ${s.version} to ${s.environment} (the promotion is not affected): ${reason(err)}`);
        return undefined;
    }
}
function payloadOf(d) {
    if (typeof d.payload === 'string') {
        try {
            const parsed = JSON.parse(d.payload);
            return parsed && typeof parsed === 'object' ? parsed : {};
        }
        catch {
            return {};
        }
    }
    return d.payload && typeof d.payload === 'object' ? d.payload : {};
}
/** The newest deployment of this service and digest in the environment (the API lists newest first). */
async function findDeployment(gh, s) {
    const { data } = await gh.client.octokit.rest.repos.listDeployments({
        ...gh.repo,
        environment: s.environment,
        per_page: 100,
    });
    const found = data.find((d) => {
        const p = payloadOf(d);
        return p.service === s.service && p.digest === s.digest;
    });
    return found?.id;
}
/** Mark the newest deployment of this digest `success` or `failure` after a verification. */
async function finishVerificationDeployment(t, s) {
    const gh = deployments_flow_open(t);
    if (!gh)
        return undefined;
    try {
        const id = await findDeployment(gh, s);
        if (id === undefined)
            return undefined;
        await setDeploymentStatus(gh.client, gh.repo, id, {
            state: s.healthy ? 'success' : 'failure',
            environmentUrl: s.environmentUrl,
            logUrl: s.logUrl,
            description: s.healthy ? 'verified healthy' : 'verification failed',
        });
        return id;
    }
    catch (err) {
        t.warn(`GitHub Deployments: could not mark the deployment of ${s.service} in ${s.environment} (the verification is not affected): ${reason(err)}`);
        return undefined;
    }
}
/**
 * After a rollback: the replaced version's deployment `inactive`, and the restored version marked
 * `success` (its newest deployment, or a new one on its source commit when it has none).
 */
async function rollbackDeployments(t, s) {
    const gh = deployments_flow_open(t);
    if (!gh)
        return;
    try {
        const replaced = await findDeployment(gh, { ...s, digest: s.fromDigest });
        if (replaced !== undefined)
            await setDeploymentStatus(gh.client, gh.repo, replaced, {
                state: 'inactive',
                logUrl: s.logUrl,
                description: `rolled back to ${s.to.version}`,
            });
        let restored = await findDeployment(gh, { ...s, digest: s.to.digest });
        if (restored === undefined && s.to.commit)
            restored = (await createDeployment(gh.client, gh.repo, {
                ref: s.to.commit,
                environment: s.environment,
                payload: { service: s.service, version: s.to.version, digest: s.to.digest },
                description: `${s.service} ${s.to.version} (rollback)`,
            })).id;
        if (restored !== undefined)
            await setDeploymentStatus(gh.client, gh.repo, restored, {
                state: 'success',
                environmentUrl: s.environmentUrl,
                logUrl: s.logUrl,
                description: `restored by a rollback`,
            });
    }
    catch (err) {
        t.warn(`GitHub Deployments: could not update the deployments of ${s.service} in ${s.environment} after the rollback (the rollback is not affected): ${reason(err)}`);
    }
}

;// CONCATENATED MODULE: ./packages/github/src/index.ts
// GitHub API adapters over @actions/github (Octokit): approval requests, team membership,
// collaborator permissions, run approvals, deployments. They report through return values.








/***/ })

};
