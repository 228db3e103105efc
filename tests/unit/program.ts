import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";

/**
 * Runs the Pulumi program (index.ts) under mocks with a given stack configuration and records every
 * resource it registers with its resolved inputs, plus the stack outputs.
 */

export interface Recorded {
    type: string;
    name: string;
    inputs: Record<string, any>;
    /** URNs of the resources it depends on (explicit dependsOn and those of its inputs). */
    dependencies: string[];
    /** Whether Pulumi will refuse to delete it. */
    protect: boolean;
    /** Outputs the engine stores encrypted besides those the provider marks secret. */
    additionalSecretOutputs: string[];
    urn?: string;
}

export interface ProgramRun {
    resources: Recorded[];
    outputs: Record<string, unknown>;
    /** Names of outputs that Pulumi treats as secret. */
    secretOutputs: Set<string>;
    /** Every value the mocks generated for a password or key, to look for leaks. */
    generatedSecrets: string[];
}

/** Kubernetes objects as the API server would see them: kind and apiVersion from the type token. */
export function k8sKind(type: string): { apiVersion: string; kind: string } | undefined {
    const m = /^kubernetes:([^:]+):(\w+)$/.exec(type);
    if (!m || type.startsWith("kubernetes:helm") || type === "pulumi:providers:kubernetes") return undefined;
    const [group, version] = m[1].split("/");
    return { apiVersion: group === "core" ? version : `${group}/${version}`, kind: m[2] };
}

export function byType(run: ProgramRun, type: string): Recorded[] {
    return run.resources.filter((r) => r.type === type);
}

export function one(run: ProgramRun, type: string, name: string): Recorded {
    const found = run.resources.find((r) => r.type === type && r.name === name);
    if (!found) {
        throw new Error(`no ${type} named ${name}; have: ${byType(run, type).map((r) => r.name).join(", ")}`);
    }
    return found;
}

/** A stack file's config as the Pulumi engine hands it to the program: strings, objects as JSON. */
export function stackFileConfig(stack: string, overrides: Record<string, string> = {}): Record<string, string> {
    const file = path.resolve(__dirname, "../..", `Pulumi.${stack}.yaml`);
    const config = (YAML.parse(fs.readFileSync(file, "utf8"))?.config ?? {}) as Record<string, unknown>;
    const raw: Record<string, string> = {};
    for (const [k, v] of Object.entries(config)) raw[k] = typeof v === "string" ? v : JSON.stringify(v);
    return { ...raw, ...overrides };
}

export async function runProgram(config: Record<string, string>, stack = "dev"): Promise<ProgramRun> {
    const resources: Recorded[] = [];
    const generatedSecrets: string[] = [];
    let counter = 0;
    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
                const state: Record<string, any> = { ...args.inputs };
                if (args.type === "random:index/randomPassword:RandomPassword" || args.type === "random:index/randomString:RandomString") {
                    state.result = `GENERATED${++counter}x${args.name.replace(/[^A-Za-z0-9]/g, "")}`;
                    generatedSecrets.push(state.result);
                }
                if (args.type.startsWith("kubernetes:")) {
                    state.metadata = { ...(args.inputs.metadata ?? {}), name: args.inputs.metadata?.name ?? `${args.name}-abc123` };
                    state.status = {};
                }
                if (args.type === "docker:index/image:Image") {
                    state.repoDigest = `sha256:${args.name}`;
                }
                if (args.type === "aws:ecr/repository:Repository") {
                    state.registryId = "123456789012";
                    state.repositoryUrl = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${args.inputs.name}`;
                }
                if (args.type === "command:local:Command") {
                    state.stdout = "";
                }
                const reg = registered.get(`${args.type}::${args.name}`);
                resources.push({
                    type: args.type,
                    name: args.name,
                    inputs: unwrapSecrets(args.inputs),
                    dependencies: reg?.deps ?? [],
                    protect: reg?.protect ?? false,
                    additionalSecretOutputs: reg?.secretOutputs ?? [],
                });
                return { id: `${args.name}_id`, state };
            },
            call(args: pulumi.runtime.MockCallArgs) {
                if (args.token === "aws:ecr/getAuthorizationToken:getAuthorizationToken") {
                    return { userName: "AWS", password: "ecr-token", proxyEndpoint: "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com" };
                }
                return args.inputs;
            },
        },
        "streaming-lakehouse",
        stack,
        false,
    );
    pulumi.runtime.setAllConfig(config);

    // The mocks are not told about dependencies; the registration request carries them.
    const registered = new Map<string, { deps: string[]; protect: boolean; secretOutputs: string[] }>();
    const monitor = (pulumi.runtime as any).getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: any) => {
        registered.set(`${req.getType()}::${req.getName()}`, { deps: req.getDependenciesList(), protect: req.getProtect(), secretOutputs: req.getAdditionalsecretoutputsList() });
        return register(req, callback);
    };

    // One program run per test file: jest gives each file its own module registry.
    const program: Record<string, unknown> = await import("../../index");

    const outputs: Record<string, unknown> = {};
    const secretOutputs = new Set<string>();
    for (const [key, value] of Object.entries(program)) {
        const out = pulumi.output(value as pulumi.Input<unknown>) as pulumi.Output<unknown>;
        outputs[key] = await new Promise((resolve) => out.apply((v) => resolve(v)));
        if (await (out as any).isSecret) secretOutputs.add(key);
    }
    // Let registrations started inside applies finish before the caller inspects them.
    await new Promise((r) => setTimeout(r, 100));
    return { resources, outputs, secretOutputs, generatedSecrets };
}

/** Pulumi hands secret inputs to the mocks wrapped in a marker object; tests want the plain value. */
const secretSig = "4dabf18193072939515e22adb298388d";
function unwrapSecrets(value: any): any {
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value && typeof value === "object") {
        if (secretSig in value) return unwrapSecrets(value.value);
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

/** Every string anywhere inside a value: where to look for a leaked secret. */
export function strings(value: unknown, out: string[] = []): string[] {
    if (typeof value === "string") out.push(value);
    else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
    else if (value && typeof value === "object") Object.values(value).forEach((v) => strings(v, out));
    return out;
}

/**
 * Validates every built-in Kubernetes object of a run against the Kubernetes API schemas
 * (kubernetes-models' OpenAPI validators); returns one line per failure.
 */
export function k8sSchemaFailures(run: ProgramRun): string[] {
    const failures: string[] = [];
    for (const r of run.resources.filter((x) => k8sKind(x.type) && !x.type.startsWith("kubernetes:flink.apache.org"))) {
        const { apiVersion, kind } = k8sKind(r.type)!;
        const Model = k8sModel(apiVersion, kind);
        if (!Model) {
            failures.push(`${kind} ${r.name}: no schema for ${apiVersion}`);
            continue;
        }
        try {
            new Model({ ...r.inputs, apiVersion, kind }).validate();
        } catch (e) {
            failures.push(`${kind} ${r.name}: ${(e as Error).message}`);
        }
    }
    return failures;
}

export function k8sModel(apiVersion: string, kind: string): (new (data: object) => { validate(): void }) | undefined {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    const dir = group === "" ? version : `${group}/${version}`;
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require(`kubernetes-models/${dir}/${kind}`)[kind];
    } catch {
        return undefined;
    }
}
