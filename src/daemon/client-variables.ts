// The environment variables a client hands to its daemon session (docs/protocol.md §12); any other stays with the client.
export const isClientVariable = (name: string): boolean => name === 'HOME' || name === 'PATH' || name === 'VIRTUAL_ENV' || name.startsWith('TINYTORCH_');
