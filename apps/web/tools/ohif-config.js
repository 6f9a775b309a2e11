/**
 * OHIF v3 configuration for Vet PACS (replaces the dist's app-config.js; the viewer itself is not
 * modified). Served under /ohif/ from the portal's origin: DICOMweb calls go to /dicomweb on the
 * same origin and carry the portal's session cookie, so no token ever appears in a URL.
 */
window.config = {
  name: 'vetpacs',
  routerBasename: '/ohif/',
  extensions: [],
  modes: [],
  showStudyList: true,
  maxNumberOfWebWorkers: 3,
  showWarningMessageForCrossOrigin: false,
  showCPUFallbackMessage: true,
  showLoadingIndicator: true,
  strictZSpacingForVolumeViewport: true,
  maxNumRequests: { interaction: 100, thumbnail: 5, prefetch: 25 },
  showErrorDetails: 'production',
  investigationalUseDialog: { option: 'never' },
  customizationService: { global: { 'ohif.tours': { $set: [] } } },
  defaultDataSourceName: 'vetpacs',
  dataSources: [
    {
      namespace: '@ohif/extension-default.dataSourcesModule.dicomweb',
      sourceName: 'vetpacs',
      configuration: {
        friendlyName: 'Vet PACS',
        name: 'vetpacs',
        qidoRoot: '/dicomweb',
        wadoRoot: '/dicomweb',
        wadoUriRoot: '/dicomweb',
        qidoSupportsIncludeField: true,
        // Without 'wadors' OHIF falls back to WADO-URI (not served).
        imageRendering: 'wadors',
        thumbnailRendering: 'wadors',
        enableStudyLazyLoad: true,
        supportsFuzzyMatching: false,
        supportsWildcard: true,
        omitQuotationForMultipartRequest: true,
        staticWado: false,
        singlepart: 'bulkdata,video',
        bulkDataURI: { enabled: true },
        dicomUploadEnabled: false,
      },
    },
  ],
};
