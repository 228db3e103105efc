import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "../../components/versions";

/**
 * Every pin of the deploy rehearsal's toolchain, in one place. Nothing here is deployed: these are
 * the real control plane and the real Pulumi engine the rehearsal builds from the Go module proxy.
 * The Pulumi CLI and the kubernetes provider take the versions the program itself pins in
 * package.json, so the engine that runs the rehearsal is the one users get.
 */

function packageVersion(name: string): string {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8"));
    const v: string | undefined = pkg.dependencies?.[name] ?? pkg.devDependencies?.[name];
    if (!v || !/^\d+\.\d+\.\d+$/.test(v)) throw new Error(`package.json must pin ${name} to an exact version (found ${v})`);
    return v;
}

export const toolchain = {
    /** kube-apiserver, kube-controller-manager and kube-scheduler from k8s.io/kubernetes' own cmd/ mains. */
    kubernetes: "v1.34.4",
    /** etcd's server module, through a one-line wrapper main (etcdmain.Main). */
    etcd: "v3.6.16",
    /** The node: kwok fakes the kubelet (pods Running/Completed) and binds PVCs by its volume stage. */
    kwok: "v0.8.0",
    /** The Pulumi CLI (github.com/pulumi/pulumi/pkg/v3): the same version as the SDK the program pins. */
    pulumi: packageVersion("@pulumi/pulumi"),
    /**
     * The Node.js language host. The current one's module path is refused by the proxy; the one inside
     * github.com/pulumi/pulumi/sdk/v3 up to v3.68.0 builds, and the engine falls back to the calls it
     * answers.
     */
    nodejsLanguageHost: "v3.68.0",
    /**
     * The kubernetes provider. Upstream tags the repository root, not provider/v4, so the proxy serves
     * this one pseudo-version (commit f47bc2d6f199 of pulumi/pulumi-kubernetes, 2026-01-15); its
     * `replace sdk/v4 => ../sdk` is restated as the sdk release its go.mod requires.
     */
    kubernetesProviderModule: "v4.0.0-20260115033456-f47bc2d6f199",
    kubernetesProviderSdk: "v4.24.0",
    /** Reported by the built provider: the @pulumi/kubernetes version the program requires. */
    kubernetesProviderVersion: packageVersion("@pulumi/kubernetes"),
    /** pkg/v3 replaces this module with a fork; a wrapper module restates that replace. */
    clipboardFork: "github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e",
} as const;

export type Toolchain = typeof toolchain;
