// Types of bin/daemon-client.js (plain JavaScript: the bin runs it before the engine), for the
// daemon's server, which must accept exactly the variables the client sends with each command.
export declare const PER_COMMAND_VARS: readonly string[];
