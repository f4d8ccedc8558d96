/**
 * Base64 (RFC 4648, with padding) between bytes and text, without Node's
 * Buffer, so that the protocol code the SDK's browser build reaches (SCRAM
 * messages) runs in a page too. Callers validate the text's alphabet and
 * padding first where the input is untrusted (scram.ts does).
 */

/** Bytes per String.fromCharCode call: keeps the argument list far below engines' limits. */
const CHUNK_BYTES = 0x8000;

/** The base64 text of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK_BYTES) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK_BYTES));
  return btoa(binary);
}

/**
 * The bytes of base64 `text`.
 * @throws DOMException (InvalidCharacterError) for text that is not base64
 */
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
