import * as https from "https";

/**
 * A small client for the rehearsal's API server: just the REST calls the checks need (get, list,
 * create, patch, delete), over TLS verified against the cluster's CA, with a bearer token. The
 * deploy itself never goes through here: that is the Pulumi engine's kubernetes provider.
 */

export interface KubeObject {
    apiVersion?: string;
    kind?: string;
    metadata: {
        name: string;
        namespace?: string;
        uid?: string;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
        ownerReferences?: unknown[];
        deletionTimestamp?: string;
        generation?: number;
    };
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    spec?: any;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    status?: any;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    data?: Record<string, string>;
    [key: string]: unknown;
}

export class KubeError extends Error {
    constructor(
        readonly status: number,
        message: string,
    ) {
        super(message);
    }
}

/** The REST path of a collection: core (`v1`) or grouped (`apps/v1`) resources, namespaced or not. */
export function resourcePath(apiVersion: string, plural: string, namespace?: string, name?: string): string {
    const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return `${base}${namespace ? `/namespaces/${namespace}` : ""}/${plural}${name ? `/${name}` : ""}`;
}

export class Kube {
    constructor(
        readonly server: string,
        private readonly token: string,
        private readonly ca: string,
    ) {}

    request<T = KubeObject>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<T> {
        const url = new URL(path, this.server);
        const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
        return new Promise((resolve, reject) => {
            const req = https.request(
                url,
                {
                    method,
                    ca: this.ca,
                    headers: {
                        authorization: `Bearer ${this.token}`,
                        accept: "application/json",
                        ...(payload !== undefined ? { "content-type": contentType, "content-length": Buffer.byteLength(payload) } : {}),
                    },
                    timeout: 30_000,
                },
                (res) => {
                    let text = "";
                    res.setEncoding("utf8");
                    res.on("data", (d) => (text += d));
                    res.on("end", () => {
                        const status = res.statusCode ?? 0;
                        if (status >= 200 && status < 300) {
                            const json = /json/.test(String(res.headers["content-type"] ?? ""));
                            resolve((json && text ? JSON.parse(text) : text) as T);
                        } else {
                            let message = text;
                            try {
                                message = JSON.parse(text).message ?? text;
                            } catch {
                                // not JSON
                            }
                            reject(new KubeError(status, `${method} ${path}: ${status} ${message}`));
                        }
                    });
                },
            );
            req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out`)));
            req.on("error", reject);
            if (payload !== undefined) req.write(payload);
            req.end();
        });
    }

    get(apiVersion: string, plural: string, name: string, namespace?: string): Promise<KubeObject> {
        return this.request("GET", resourcePath(apiVersion, plural, namespace, name));
    }

    /** The object, or undefined when the API server answers 404. */
    async find(apiVersion: string, plural: string, name: string, namespace?: string): Promise<KubeObject | undefined> {
        try {
            return await this.get(apiVersion, plural, name, namespace);
        } catch (e) {
            if (e instanceof KubeError && e.status === 404) return undefined;
            throw e;
        }
    }

    async list(apiVersion: string, plural: string, namespace?: string, labelSelector?: string): Promise<KubeObject[]> {
        const q = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : "";
        const r = await this.request<{ items: KubeObject[] }>("GET", resourcePath(apiVersion, plural, namespace) + q);
        return r.items;
    }

    create(apiVersion: string, plural: string, obj: unknown, namespace?: string): Promise<KubeObject> {
        return this.request("POST", resourcePath(apiVersion, plural, namespace), obj);
    }

    /** A JSON merge patch, on the object or one of its subresources (`status`). */
    patch(apiVersion: string, plural: string, name: string, patch: unknown, namespace?: string, subresource?: string): Promise<KubeObject> {
        const p = resourcePath(apiVersion, plural, namespace, name) + (subresource ? `/${subresource}` : "");
        return this.request("PATCH", p, patch, "application/merge-patch+json");
    }

    async delete(apiVersion: string, plural: string, name: string, namespace?: string): Promise<void> {
        await this.request("DELETE", resourcePath(apiVersion, plural, namespace, name));
    }

    /** Plural resource name of a kind, as the API server's discovery lists it. */
    async plural(apiVersion: string, kind: string): Promise<{ plural: string; namespaced: boolean }> {
        const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
        const r = await this.request<{ resources: { name: string; kind: string; namespaced: boolean }[] }>("GET", base);
        const found = r.resources.find((x) => x.kind === kind && !x.name.includes("/"));
        if (!found) throw new Error(`the API server serves no ${kind} in ${apiVersion}`);
        return { plural: found.name, namespaced: found.namespaced };
    }
}
