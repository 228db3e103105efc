/**
 * Superset's REST API as a person's browser uses it: log in, list databases, run SQL through SQL Lab
 * (a write, so it needs the CSRF token and the session cookie that comes with it).
 */
export class SupersetClient {
    private token = "";
    private cookie = "";
    private csrf = "";

    constructor(private readonly baseUrl: string) {}

    private headers(extra: Record<string, string> = {}): Record<string, string> {
        const h: Record<string, string> = { "Content-Type": "application/json", Referer: this.baseUrl, ...extra };
        if (this.token) h.Authorization = `Bearer ${this.token}`;
        if (this.cookie) h.Cookie = this.cookie;
        return h;
    }

    private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
        const res = await fetch(`${this.baseUrl}${path}`, { method, headers: this.headers(this.csrf ? { "X-CSRFToken": this.csrf } : {}), body: body === undefined ? undefined : JSON.stringify(body) });
        const setCookie = res.headers.get("set-cookie");
        if (setCookie) this.cookie = setCookie.split(";")[0];
        const text = await res.text();
        if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}: ${text.slice(0, 300)}`);
        return JSON.parse(text) as T;
    }

    async health(): Promise<boolean> {
        const res = await fetch(`${this.baseUrl}/health`);
        return res.ok && (await res.text()).trim() === "OK";
    }

    async login(username: string, password: string): Promise<void> {
        const r = await this.call<{ access_token: string }>("POST", "/api/v1/security/login", { username, password, provider: "db", refresh: true });
        this.token = r.access_token;
        this.csrf = (await this.call<{ result: string }>("GET", "/api/v1/security/csrf_token/")).result;
    }

    async databases(): Promise<{ id: number; database_name: string; backend: string; expose_in_sqllab: boolean }[]> {
        const r = await this.call<{ result: { id: number; database_name: string; backend: string; expose_in_sqllab: boolean }[] }>("GET", "/api/v1/database/?q=(page_size:100)");
        return r.result;
    }

    async connectionUri(databaseId: number): Promise<string> {
        const r = await this.call<{ result: { sqlalchemy_uri: string } }>("GET", `/api/v1/database/${databaseId}/connection`);
        return r.result.sqlalchemy_uri;
    }

    /** Runs SQL synchronously through SQL Lab and returns the rows. */
    async execute(databaseId: number, sql: string, schema?: string): Promise<Record<string, unknown>[]> {
        const r = await this.call<{ status: string; data: Record<string, unknown>[] }>("POST", "/api/v1/sqllab/execute/", { database_id: databaseId, sql, schema, runAsync: false });
        if (r.status !== "success") throw new Error(`SQL Lab: status ${r.status}`);
        return r.data;
    }
}
