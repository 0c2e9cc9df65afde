/** Architecture rules, checked by test/architecture.test.ts (and `npx depcruise -c .dependency-cruiser.cjs stacks lambdas layers scripts main.ts`). */
module.exports = {
  forbidden: [
    { name: "no-circular", severity: "error", comment: "Import cycles make the build order and the tests fragile.", from: {}, to: { circular: true } },
    {
      name: "lambdas-never-import-cdktf",
      severity: "error",
      comment: "Handlers run on Lambda; infrastructure code must not leak into their bundles.",
      from: { path: "^lambdas/" },
      to: { path: "(^|/)node_modules/(cdktf|constructs|@cdktf/)" },
    },
    {
      name: "stacks-never-import-handler-runtime",
      severity: "error",
      comment: "Constructs describe infrastructure; they do not run handler code or its SDKs.",
      from: { path: "^stacks/" },
      to: { path: "^lambdas/|(^|/)node_modules/(@octokit|@aws-sdk|@aws-lambda-powertools)/" },
    },
    {
      name: "cdktf-imported-in-few-places",
      severity: "error",
      comment: "CDKTF is deprecated upstream (CDK Terrain continues it): only stacks/cdktf.ts and the emitter import it.",
      from: { path: "^(stacks|examples|test|scripts|layers)/|^main\\.ts$", pathNot: "^stacks/cdktf\\.ts$|^stacks/emit/" },
      to: { path: "(^|/)node_modules/cdktf/" },
    },
    {
      name: "provider-bindings-imported-in-one-place",
      severity: "error",
      comment: "Provider bindings come through stacks/aws.ts only.",
      from: { pathNot: "^stacks/aws\\.ts$" },
      to: { path: "(^|/)node_modules/@cdktf/provider-aws/" },
    },
    {
      name: "handlers-use-shared-through-its-index",
      severity: "error",
      comment: "The build ships lambdas/shared as one layer module, so handlers import it only via lambdas/shared/index.ts.",
      from: { path: "^lambdas/(?!shared/)" },
      to: { path: "^lambdas/shared/", pathNot: "^lambdas/shared/index\\.ts$" },
    },
    {
      name: "sdk-clients-live-with-their-commands",
      severity: "error",
      comment: "The layer is a separate bundle: a client built there fails the instanceof checks of commands and paginators bundled with a handler. Only SSM (used inside the layer) may be imported by shared/.",
      from: { path: "^lambdas/shared/" },
      to: { path: "(^|/)node_modules/@aws-sdk/(client-(?!ssm)|lib-)" },
    },
    {
      name: "ledger-is-a-library",
      severity: "error",
      comment: "lambdas/libs (ledger, domain) is bundled into the handlers that use it; it never imports a handler.",
      from: { path: "^lambdas/libs/" },
      to: { path: "^lambdas/(?!libs/|shared/)" },
    },
    {
      name: "shared-never-imports-handlers",
      severity: "error",
      from: { path: "^lambdas/shared/" },
      to: { path: "^lambdas/(?!shared/)" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
