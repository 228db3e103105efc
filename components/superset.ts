import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { SupersetSettings } from "./config";
import { containerSecurity, Exposure, labels, plainEnv, podSecurity, resources, SecretKeyRef, secretEnv, serviceHost, servicePort } from "./k8s";

export interface SupersetArgs {
    namespace: pulumi.Input<string>;
    /** Superset image with the trino and PyMySQL drivers and the bootstrap (see superset/Dockerfile). */
    image: pulumi.Input<string>;
    settings: SupersetSettings;
    /** Metadata database: Superset's own database on the platform's MySQL. */
    database: { host: pulumi.Input<string>; port: number; name: string; user: string; password: SecretKeyRef };
    /** SQLAlchemy URI of Trino, registered as the "Trino Iceberg" database. */
    trinoUri: pulumi.Input<string>;
    exposure?: Exposure;
}

/** Where the image keeps the bootstrap; see superset/Dockerfile. */
export const bootstrapCommand = ["/bin/bash", "/app/lakehouse/bootstrap.sh"];
export const trinoDatabaseName = "Trino Iceberg";

/**
 * Superset with its metadata in MySQL, a generated secret key and admin password, an init Job that
 * migrates, creates the admin and registers "Trino Iceberg" (awaited by Pulumi), and the web server.
 */
export class Superset extends pulumi.ComponentResource {
    readonly service: k8s.core.v1.Service;
    readonly host: pulumi.Output<string>;
    readonly port = 8088;
    readonly secretName: pulumi.Output<string>;
    readonly adminPassword: pulumi.Output<string>;
    readonly initJob: k8s.batch.v1.Job;

    constructor(name: string, args: SupersetArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lakehouse:index:Superset", name, {}, opts);
        const lbl = labels("superset", name);
        const meta = (suffix: string) => ({ name: `${name}${suffix}`, namespace: args.namespace, labels: lbl.all });

        const secretKey = new random.RandomPassword(`${name}-secret-key`, { length: 48, special: false }, { parent: this });
        const adminPassword = new random.RandomPassword(`${name}-admin-password`, { length: 24, special: false }, { parent: this });
        this.adminPassword = adminPassword.result;
        const secret = new k8s.core.v1.Secret(
            `${name}-secrets`,
            { metadata: meta("-secrets"), type: "Opaque", stringData: { "secret-key": secretKey.result, "admin-password": adminPassword.result } },
            { parent: this },
        );
        this.secretName = secret.metadata.name;

        const env: k8s.types.input.core.v1.EnvVar[] = [
            secretEnv("SUPERSET_SECRET_KEY", { name: secret.metadata.name, key: "secret-key" }),
            ...plainEnv({
                SUPERSET_DB_HOST: args.database.host,
                SUPERSET_DB_PORT: String(args.database.port),
                SUPERSET_DB_NAME: args.database.name,
                SUPERSET_DB_USER: args.database.user,
            }),
            secretEnv("SUPERSET_DB_PASSWORD", args.database.password),
        ];
        const podSpec = (containers: k8s.types.input.core.v1.Container[], restartPolicy?: string): k8s.types.input.core.v1.PodSpec => ({
            // uid 1000 is the image's superset user.
            securityContext: podSecurity(1000),
            restartPolicy,
            containers,
        });

        // Auto-named: a Job is immutable, so a new image or Trino URI replaces it and it runs again.
        this.initJob = new k8s.batch.v1.Job(
            `${name}-init`,
            {
                metadata: { namespace: args.namespace, labels: lbl.all },
                spec: {
                    backoffLimit: 4,
                    template: {
                        metadata: { labels: lbl.all },
                        spec: podSpec(
                            [
                                {
                                    name: "init",
                                    image: args.image,
                                    imagePullPolicy: "IfNotPresent",
                                    command: bootstrapCommand,
                                    env: [
                                        ...env,
                                        ...plainEnv({
                                            SUPERSET_ADMIN_USERNAME: args.settings.adminUsername,
                                            SUPERSET_ADMIN_EMAIL: args.settings.adminEmail,
                                            TRINO_SQLALCHEMY_URI: args.trinoUri,
                                            TRINO_DATABASE_NAME: trinoDatabaseName,
                                        }),
                                        secretEnv("SUPERSET_ADMIN_PASSWORD", { name: secret.metadata.name, key: "admin-password" }),
                                    ],
                                    resources: resources(args.settings.resources),
                                    securityContext: containerSecurity,
                                },
                            ],
                            "OnFailure",
                        ),
                    },
                },
            },
            { parent: this, customTimeouts: { create: "15m", update: "15m" } },
        );

        const deployment = new k8s.apps.v1.Deployment(
            name,
            {
                metadata: meta(""),
                spec: {
                    replicas: args.settings.replicas,
                    selector: { matchLabels: lbl.selector },
                    template: {
                        metadata: { labels: lbl.all },
                        spec: podSpec([
                            {
                                name: "superset",
                                image: args.image,
                                imagePullPolicy: "IfNotPresent",
                                env,
                                ports: [{ name: "http", containerPort: this.port }],
                                resources: resources(args.settings.resources),
                                securityContext: containerSecurity,
                                readinessProbe: { httpGet: { path: "/health", port: this.port }, initialDelaySeconds: 15, periodSeconds: 10, timeoutSeconds: 5 },
                                livenessProbe: { httpGet: { path: "/health", port: this.port }, initialDelaySeconds: 60, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
                            },
                        ]),
                    },
                },
            },
            // The web server starts only on a migrated metadata database.
            { parent: this, dependsOn: [this.initJob] },
        );

        this.service = new k8s.core.v1.Service(
            name,
            { metadata: { ...meta(""), annotations: args.exposure?.annotations }, spec: { type: args.exposure?.type ?? "ClusterIP", selector: lbl.selector, ports: [servicePort("http", this.port, args.exposure)] } },
            { parent: this },
        );
        this.host = pulumi.all([serviceHost(this.service), deployment.status]).apply(([h]) => h);
        this.registerOutputs({ host: this.host, port: this.port, secretName: this.secretName });
    }
}
