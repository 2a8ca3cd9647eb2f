// Solves specs with rattler (conda's Rust client, through its JS bindings)
// against one channel and prints the solved packages' URLs as JSON.
// Usage: node rattler-solve.cjs <channel URL> <platform> <spec>...
const { simpleSolve } = require("@conda-org/rattler");

const [channel, platform, ...specs] = process.argv.slice(2);
simpleSolve(specs, [channel], [platform, "noarch"], [])
  .then((pkgs) => {
    console.log(JSON.stringify(pkgs.map((p) => p.url).sort()));
  })
  .catch((err) => {
    console.error(String(err));
    process.exit(1);
  });
