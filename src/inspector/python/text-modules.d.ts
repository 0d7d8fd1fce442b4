/** Python sources bundled as text by esbuild's `.py` loader (see esbuild.js). */
declare module '*.py' {
  const source: string;
  export default source;
}
