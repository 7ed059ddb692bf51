/** The sample monorepo the rehearsal releases: four services, a shared library, a config file. */

/**
 * The sample's config. `health` is the base URL of the loopback health endpoints (health.ts):
 * staging and production verify every promotion there; notifications go to the Slack and Teams
 * webhooks whose URLs the steps get from SLACK_WEBHOOK_URL / TEAMS_WEBHOOK_URL, as from secrets.
 */
export function sampleConfig(health = 'http://127.0.0.1:8080'): string {
  const verify = `{ interval: 20ms, count: 2, rolloutTimeout: 30s, http: { url: "${health}/{environment}/{service}/health", version: $.version, conditions: ['$.status == "UP"'] } }`;
  return `# sd-actions config for the sample monorepo (see the README: "The config file")
registry:
  type: oci-layout          # the embedded registry: an OCI image layout per service
  url: .sd-actions/registry
services:
  blue:   { path: projects/blue, dependsOn: [libs/payments] }
  green:  { path: projects/green }
  yellow: { path: projects/yellow }
  red:    { path: projects/red }
shared: [package-lock.json, "libs/common/**"]
environments:
  dev:        { branch: gitops/dev-auto-update, tags: [dev] }
  staging:    { from: dev, branch: gitops/staging-releases, tags: ["{version}"], url: "${health}/staging/{service}",
                verify: ${verify} }
  production: { from: staging, branch: gitops/production-releases, tags: ["{version}", prd], approvals: 2, minSoak: 24h,
                soakPolicy: warn, url: "${health}/production/{service}", verify: ${verify} }
manifests: release-manifests/{environment}.yaml
git:
  tag: "{service}/{version}"
  releaseBranch: "release/{service}-{major}.{minor}"
notify:
  slack: { events: [verification-failed, rolled-back, rollback-failed] }
  teams: { events: [rolled-back, rollback-failed] }
`;
}

export function sampleFiles(health?: string): Record<string, string> {
  const files: Record<string, string> = {
    '.github/sd-actions.yml': sampleConfig(health),
    '.gitignore': '.sd-actions/\n',
    'package-lock.json': '{ "lockfileVersion": 3 }\n',
    'libs/common/log.js': 'export const log = (...a) => console.log(...a);\n',
    'libs/payments/pay.js': 'export const pay = (n) => n;\n',
    'README.md': '# sample monorepo\n',
  };
  for (const service of ['blue', 'green', 'yellow', 'red']) {
    files[`projects/${service}/server.js`] = `// ${service} service\nexport const name = '${service}';\n`;
    files[`projects/${service}/Dockerfile`] = `FROM scratch\nCOPY server.js /srv/${service}.js\n`;
  }
  return files;
}
