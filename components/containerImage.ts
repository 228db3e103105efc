import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { RegistrySettings, Target } from "./config";

export interface ContainerImageArgs {
    /** Short image name, e.g. `flink-job`: the repository is `<prefix>/<name>`. */
    image: string;
    /** Build context directory (absolute). */
    context: string;
    /** Dockerfile path relative to the context; defaults to `Dockerfile`. */
    dockerfile?: string;
    buildArgs?: Record<string, string>;
    /** Paths (relative to the context) that make up the image; defaults to the whole context. */
    inputs?: string[];
    target: Target;
    /** kind only: the cluster the image is loaded into. */
    kindClusterName?: string;
    /** eks only: the ECR registry the image is pushed to. */
    registry?: RegistrySettings;
    /** A promoted image (`<repo>@sha256:...`): deploy it as it is, build nothing. */
    pinned?: string;
}

/** Directories never part of an image's inputs (build outputs and caches). */
const ignored = new Set(["node_modules", "target", ".cache", ".git", "bin", "__pycache__", ".pulumi-state"]);

/**
 * A hash of everything that goes into an image: the files of its context and its build args.
 * It becomes the tag, so a changed input (a SQL file, a jar version) means a new tag and the
 * workloads that use the image roll; an unchanged one leaves them alone.
 */
export function contentHash(context: string, buildArgs: Record<string, string> = {}, inputs: string[] = ["."]): string {
    const hash = crypto.createHash("sha256");
    const walk = (dir: string): void => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
            if (ignored.has(entry.name)) continue;
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) {
                walk(full);
            } else if (entry.isFile()) {
                hash.update(path.relative(context, full)).update("\0").update(fs.readFileSync(full)).update("\0");
            }
        }
    };
    for (const input of [...inputs].sort()) {
        const full = path.join(context, input);
        if (fs.statSync(full).isDirectory()) {
            walk(full);
        } else {
            hash.update(input).update("\0").update(fs.readFileSync(full)).update("\0");
        }
    }
    for (const key of Object.keys(buildArgs).sort()) {
        hash.update(`${key}=${buildArgs[key]}\0`);
    }
    return hash.digest("hex").slice(0, 16);
}

/**
 * An image built from this repository. On kind it is built into the local Docker engine and loaded
 * into the cluster's nodes (again whenever its content changes); pods use the exact tag with
 * `IfNotPresent`, so nothing is pulled. On EKS it is pushed to an ECR repository the program owns
 * and pods use its digest. A pinned (promoted) image is used as it is.
 */
export class ContainerImage extends pulumi.ComponentResource {
    /** The reference workloads use: a content-hash tag on kind, a digest on EKS. */
    readonly ref: pulumi.Output<string>;

    constructor(name: string, args: ContainerImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lakehouse:index:ContainerImage", name, {}, opts);
        if (args.pinned) {
            this.ref = pulumi.output(args.pinned);
            this.registerOutputs({ ref: this.ref });
            return;
        }
        const buildArgs = args.buildArgs ?? {};
        const tag = contentHash(args.context, buildArgs, args.inputs);
        const build = { context: args.context, dockerfile: path.join(args.context, args.dockerfile ?? "Dockerfile"), args: buildArgs, platform: "linux/amd64" };

        if (args.target === "kind") {
            if (!args.kindClusterName) {
                throw new Error(`ContainerImage ${name}: kindClusterName is required when target is kind`);
            }
            const image = new docker.Image(name, { imageName: `lakehouse/${args.image}:${tag}`, build, skipPush: true }, { parent: this });
            const load = new command.local.Command(
                `${name}-kind-load`,
                { create: pulumi.interpolate`kind load docker-image ${image.imageName} --name ${args.kindClusterName}`, triggers: [image.repoDigest] },
                { parent: this },
            );
            this.ref = pulumi.all([image.imageName, load.stdout]).apply(([ref]) => ref);
        } else {
            if (!args.registry) {
                throw new Error(`ContainerImage ${name}: a registry is required when target is eks`);
            }
            // Tags are content hashes, so a tag never has to move: immutable tags keep it that way.
            const repo = new aws.ecr.Repository(
                name,
                {
                    name: `${args.registry.repositoryPrefix}/${args.image}`,
                    imageTagMutability: "IMMUTABLE",
                    imageScanningConfiguration: { scanOnPush: true },
                },
                { parent: this },
            );
            const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: repo.registryId }, { parent: this });
            const image = new docker.Image(
                name,
                {
                    imageName: pulumi.interpolate`${repo.repositoryUrl}:${tag}`,
                    build,
                    registry: { server: repo.repositoryUrl, username: auth.userName, password: pulumi.secret(auth.password) },
                },
                { parent: this },
            );
            this.ref = image.repoDigest;
        }
        this.registerOutputs({ ref: this.ref });
    }
}
