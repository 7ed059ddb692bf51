/** The sample monorepo the rehearsal releases: four services, a shared library, a config file. */

export const SAMPLE_CONFIG = `# sd-actions config for the sample monorepo (see the README: "The config file")
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
  staging:    { from: dev, branch: gitops/staging-releases, tags: ["{version}"] }
  production: { from: staging, branch: gitops/production-releases, tags: ["{version}", prd], approvals: 2, minSoak: 24h, soakPolicy: warn }
manifests: release-manifests/{environment}.yaml
git:
  tag: "{service}/{version}"
  releaseBranch: "release/{service}-{major}.{minor}"
`;

export function sampleFiles(): Record<string, string> {
  const files: Record<string, string> = {
    '.github/sd-actions.yml': SAMPLE_CONFIG,
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
