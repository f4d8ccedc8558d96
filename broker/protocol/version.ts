/**
 * Protocol version, named in the handshake. Bump it for any change a peer
 * could misread; a broker answers a version it does not speak with
 * UNSUPPORTED_VERSION and details { versionMin, versionMax }.
 */
export const PROTOCOL_VERSION = 1;

/** Oldest protocol version this build still speaks. */
export const PROTOCOL_VERSION_MIN = 1;
