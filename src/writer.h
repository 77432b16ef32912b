/* writer.h: what the layer writer's files share. The public API is in incmap.h ("layers"). */
#ifndef INCMAP_WRITER_H
#define INCMAP_WRITER_H

/* A default QGIS style: src/styles/LAYER.qml, compiled in by cmake/embed_styles.cmake. */
typedef struct {
    const char *layer; /* "incidents", "mentions", "articles" */
    const char *qml;
} incmap_layer_style;

/* Ends with {NULL, NULL}. */
extern const incmap_layer_style incmap_layer_styles[];

/* The QML of a layer's default style, or NULL when there is none. */
const char *incmap_layer_style_qml(const char *layer);

#endif
