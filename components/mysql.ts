import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ResourceSpec } from "./config";
import { containerSecurity, labels, podSecurity, resources, SecretKeyRef, secretEnv, serviceHost, singleReplicaStatefulSetSpec } from "./k8s";
import { BinlogSettings, databases, initScripts, rootPasswordEnv, serverArgs, UserRole, users } from "./mysqlServer";

export interface MySqlArgs {
    namespace: pulumi.Input<string>;
    image: pulumi.Input<string>;
    /** undefined: the cluster's default StorageClass. */
    storageClass?: pulumi.Input<string>;
    storageSize: pulumi.Input<string>;
    resources: ResourceSpec;
    binlog: BinlogSettings;
}

/** Password keys in the credentials Secret, one per role plus root. */
const secretKeys: Record<UserRole | "root", string> = {
    root: "root-password",
    cdc: "cdc-password",
    catalog: "catalog-password",
    app: "app-password",
    superset: "superset-password",
};

/**
 * MySQL as the CDC source, the Iceberg catalog store and Superset's metadata store: a one-replica
 * StatefulSet with binlog flags for CDC, init scripts that create the schema and least-privilege
 * users, and generated passwords kept only in a Secret.
 */
export class MySql extends pulumi.ComponentResource {
    /** In-cluster host name of the server. */
    readonly host: pulumi.Output<string>;
    readonly port: number = 3306;
    readonly databases = databases;
    readonly secretName: pulumi.Output<string>;
    readonly statefulSet: k8s.apps.v1.StatefulSet;
    readonly service: k8s.core.v1.Service;
    private readonly passwords: Record<string, pulumi.Output<string>> = {};

    constructor(name: string, args: MySqlArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lakehouse:index:MySql", name, {}, opts);
        const lbl = labels("mysql", name);
        const meta = (suffix: string) => ({ name: `${name}${suffix}`, namespace: args.namespace, labels: lbl.all });

        const passwords = this.passwords;
        for (const [role, key] of Object.entries(secretKeys)) {
            passwords[key] = new random.RandomPassword(`${name}-${role}`, { length: 32, special: false }, { parent: this }).result;
        }
        const secret = new k8s.core.v1.Secret(
            `${name}-credentials`,
            { metadata: meta("-credentials"), type: "Opaque", stringData: passwords },
            { parent: this },
        );
        this.secretName = secret.metadata.name;

        const init = new k8s.core.v1.ConfigMap(`${name}-initdb`, { metadata: meta("-initdb"), data: initScripts() }, { parent: this });

        const headless = new k8s.core.v1.Service(
            `${name}-headless`,
            {
                metadata: meta("-headless"),
                spec: { clusterIP: "None", selector: lbl.selector, ports: [{ name: "mysql", port: this.port }] },
            },
            { parent: this },
        );
        this.service = new k8s.core.v1.Service(
            name,
            { metadata: meta(""), spec: { type: "ClusterIP", selector: lbl.selector, ports: [{ name: "mysql", port: this.port, targetPort: this.port }] } },
            { parent: this },
        );

        const env: k8s.types.input.core.v1.EnvVar[] = [secretEnv(rootPasswordEnv, this.passwordRef("root"))];
        for (const role of Object.keys(users) as UserRole[]) {
            env.push({ name: users[role].userEnv, value: users[role].name });
            env.push(secretEnv(users[role].passwordEnv, this.passwordRef(role)));
        }
        // Any TCP answer means init is over: the image's init phase runs a socket-only server.
        const ping = ["sh", "-c", 'MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysqladmin --protocol=TCP -h 127.0.0.1 -uroot ping'];

        this.statefulSet = new k8s.apps.v1.StatefulSet(
            name,
            {
                metadata: meta(""),
                spec: singleReplicaStatefulSetSpec({
                    serviceName: headless.metadata.name,
                    labels: lbl,
                    storageClass: args.storageClass,
                    storageSize: args.storageSize,
                    pod: {
                        // uid 999 is the image's mysql user; its entrypoint runs unprivileged when started so.
                        securityContext: podSecurity(999),
                        containers: [
                            {
                                name: "mysql",
                                image: args.image,
                                args: serverArgs(args.binlog),
                                env,
                                ports: [{ name: "mysql", containerPort: this.port }],
                                resources: resources(args.resources),
                                securityContext: containerSecurity,
                                readinessProbe: { exec: { command: ping }, initialDelaySeconds: 10, periodSeconds: 5, timeoutSeconds: 5 },
                                livenessProbe: { exec: { command: ping }, initialDelaySeconds: 120, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
                                volumeMounts: [
                                    { name: "data", mountPath: "/var/lib/mysql" },
                                    { name: "initdb", mountPath: "/docker-entrypoint-initdb.d", readOnly: true },
                                    { name: "run", mountPath: "/var/run/mysqld" },
                                ],
                            },
                        ],
                        volumes: [
                            // Executable, so the entrypoint runs 02-users.sh rather than sourcing it.
                            { name: "initdb", configMap: { name: init.metadata.name, defaultMode: 0o755 } },
                            { name: "run", emptyDir: {} },
                        ],
                    },
                }),
            },
            { parent: this },
        );

        // Consumers use the host through this output, so they also wait for the server to be ready.
        this.host = pulumi.all([serviceHost(this.service), this.statefulSet.status]).apply(([host]) => host);

        this.registerOutputs({ host: this.host, port: this.port, secretName: this.secretName });
    }

    /** Where the password of a role lives; containers read it with `secretKeyRef`. */
    passwordRef(role: UserRole | "root"): SecretKeyRef {
        return { name: this.secretName, key: secretKeys[role] };
    }

    /** A generated password (a secret output), for stack outputs and tools outside the cluster. */
    password(role: UserRole | "root"): pulumi.Output<string> {
        return pulumi.secret(this.passwords[secretKeys[role]]);
    }

    userName(role: UserRole): string {
        return users[role].name;
    }

    /** JDBC URL of one database, e.g. for the Iceberg catalog. */
    jdbcUrl(database: string): pulumi.Output<string> {
        return pulumi.interpolate`jdbc:mysql://${this.host}:${this.port}/${database}`;
    }
}
