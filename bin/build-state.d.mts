export declare const BUILD_STAMP: string;
export declare const BUILT_ENTRY: string;
export declare const BUILD_INPUTS: readonly string[];
export declare const SOURCE_DIR: string;
export declare function newestMtimeMs(dir: string): number;
export declare function staleReason(root: string): string | null;
