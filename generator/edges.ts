/**
 * Values at the edges of appdb's columns, for the hard profile: what a real application may store
 * and every stage (binlog decoding, Flink's types, Parquet, Trino, the oracle's canonical form)
 * must carry unchanged. Limits come from mysql/initdb/01-databases.sql.
 */

/** products.name is VARCHAR(255) and sku VARCHAR(64) in utf8mb4: limits count characters, not bytes. */
export const nameLimit = 255;
export const skuLimit = 64;

/** sales.qty is a signed INT. */
export const qtyMax = 2147483647;
export const qtyMin = -2147483648;
export const qtyEdges = [qtyMax, qtyMin, -1, 0, 1];

/** DECIMAL(10,2) is signed: eight integer digits either side of zero. */
export const priceEdges = ["99999999.99", "-99999999.99", "0.00", "0.01", "-0.01"];

/** Characters (code points) of a string, as MySQL counts them for a utf8mb4 column. */
export function chars(s: string): number {
    return [...s].length;
}

/** `s` repeated and cut to exactly `n` code points (never inside a surrogate pair). */
export function fill(s: string, n: number): string {
    const points = [...s];
    const out: string[] = [];
    for (let i = 0; out.length < n; i++) out.push(points[i % points.length]);
    return out.join("");
}

// Scripts chosen for different failure modes: multi-byte CJK, Cyrillic with guillemets, right-to-left
// Arabic, Devanagari and Thai with combining marks, supplementary-plane CJK and math letters (4 bytes,
// surrogate pairs in UTF-16), emoji sequences joined by ZWJ, flags and skin tones, a decomposed é.
const mixed =
    "日本語の商品名 Товар «Ёлка» منتج عربي उत्पाद ผลิตภัณฑ์ 𠜎𠜱𝕏 " +
    "🧪🚀👩‍👩‍👧‍👦🇯🇵🏳️‍🌈👍🏽 \"double\" 'single' `back` \\slash e\u0301 ";

/**
 * Product names that break naive code: at the column's limit in characters and in bytes (255 emoji
 * are 1,020 bytes), made only of quote or backslash characters (escaping doubles them), empty,
 * padded with spaces (VARCHAR keeps trailing spaces), with control characters, a NUL, bidi overrides
 * and an SQL-injection lookalike.
 */
export const edgeNames: string[] = [
    fill(mixed, nameLimit),
    fill("😀", nameLimit),
    fill("'", nameLimit),
    fill("\\", nameLimit),
    fill("\"`", nameLimit),
    "",
    "  leading and trailing spaces  ",
    "tab\there, newline\nthere, NUL\u0000inside",
    "Robert'); DROP TABLE sales;-- \u202Eevil\u202C",
    "O'Brien's \"Best\" 🍀 Ölçü 測試",
];

/** A sku at the column's limit that starts with `prefix` (unique when the prefix is). */
export function limitSku(prefix: string): string {
    return prefix + fill("-Ω漢🧾x", skuLimit - chars(prefix));
}

/**
 * DATETIME(3)'s range ends, and the instants that trip time arithmetic: just before the epoch
 * (negative milliseconds with a remainder), the epoch, inside the 1582 Julian/Gregorian gap (a
 * hybrid calendar cannot represent it), 1900, past a 32-bit time_t, a leap day.
 */
export const edgeTimestamps = [
    "1000-01-01 00:00:00.000",
    "9999-12-31 23:59:59.999",
    "1969-12-31 23:59:59.999",
    "1970-01-01 00:00:00.000",
    "1582-10-10 12:00:00.500",
    "1899-12-31 23:59:59.001",
    "2038-01-19 03:14:08.000",
    "2000-02-29 12:34:56.789",
];

const tsMin = Date.UTC(1000, 0, 1);
const tsMax = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** `YYYY-MM-DD HH:MM:SS.mmm` of a millisecond instant (JavaScript dates are proleptic Gregorian, as MySQL's). */
export function formatTimestamp(ms: number): string {
    if (ms < tsMin || ms > tsMax) throw new Error(`timestamp ${ms} is outside DATETIME's range`);
    return new Date(ms).toISOString().replace("T", " ").replace("Z", "");
}

/** A uniformly random DATETIME(3) value over the column's whole range. */
export function randomTimestamp(random: () => number): string {
    return formatTimestamp(tsMin + Math.floor(random() * (tsMax - tsMin + 1)));
}
