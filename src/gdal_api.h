/* gdal_api.h: GDAL, loaded when the first layers are written rather than when incmap starts.
 *
 * Linked in, libgdal brings about 110 shared libraries, and the dynamic loader spent 25-30 ms on
 * them at every start: most of the time `incmap geocode` takes for a short article, which never
 * writes a layer. The writer (writer.c) calls GDAL through this table instead; the library is
 * loaded by its soname (the one the build found, INCMAP_GDAL_SONAME) on first use. */
#ifndef INCMAP_GDAL_API_H
#define INCMAP_GDAL_API_H

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "incmap.h"

/* Every GDAL function incmap calls: a name missing here is a compile error in writer.c. */
#define INCMAP_GDAL_FUNCTIONS(X)                                                                                       \
    X(CPLErrorReset) X(CPLGetLastErrorMsg) X(CSLDestroy) X(CPLGetLastErrorType) X(CPLPopErrorHandler) X(CPLPushErrorHandler)       \
    X(CPLQuietErrorHandler) X(GDALAllRegister) X(GDALClose) X(GDALCreate) X(GDALDatasetAddFieldDomain)               \
    X(GDALDatasetCommitTransaction) X(GDALDatasetCreateLayer) X(GDALDatasetRollbackTransaction)                      \
    X(GDALDatasetStartTransaction) X(GDALDatasetTestCapability) X(GDALGetDriver) X(GDALGetDriverByName)             \
    X(GDALGetDriverCount) X(GDALGetDriverShortName) X(GDALGetMetadataItem) X(OGR_CodedFldDomain_Create)             \
    X(OGR_F_Create) X(OGR_F_Destroy) X(OGR_F_SetFID) X(OGR_F_SetFieldDateTimeEx) X(OGR_F_SetFieldDouble)             \
    X(OGR_F_SetFieldInteger) X(OGR_F_SetFieldInteger64) X(OGR_F_SetFieldNull) X(OGR_F_SetFieldString)               \
    X(OGR_F_SetGeometry) X(OGR_FD_GetFieldCount) X(OGR_FD_GetFieldIndex) X(OGR_FldDomain_Destroy) X(OGR_Fld_Create)   \
    X(OGR_Fld_Destroy) X(OGR_Fld_SetDefault) X(OGR_Fld_SetDomainName) X(OGR_Fld_SetSubType) X(OGR_Fld_SetWidth)      \
    X(OGR_G_CreateGeometry) X(OGR_G_DestroyGeometry) X(OGR_G_SetPoint_2D) X(OGR_L_CreateFeature)                     \
    X(OGR_L_CreateField) X(OGR_L_GetGeometryColumn) X(OGR_L_GetLayerDefn) X(OSRDestroySpatialReference)               \
    X(OSRImportFromEPSG) X(OSRNewSpatialReference) X(OSRSetAxisMappingStrategy) X(VSIFree) X(VSIGetMemFileBuffer)     \
    X(VSIMkdir) X(VSIReadDir) X(VSIRmdirRecursive)

typedef struct {
#define INCMAP_GDAL_POINTER(name) __typeof__(name) *name;
    INCMAP_GDAL_FUNCTIONS(INCMAP_GDAL_POINTER)
#undef INCMAP_GDAL_POINTER
} incmap_gdal;

/* GDAL's functions, its drivers registered. The library is loaded by the first call (thread-safe)
 * and stays loaded; NULL, with err saying what to install, when it cannot be. */
const incmap_gdal *incmap_gdal_load(incmap_error *err);

#endif
