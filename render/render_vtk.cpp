// render_vtk.cpp: the only file of faceless that calls VTK (render_vtk.h).
//
// Every function exported here is extern "C", returns a faceless_status and
// catches every C++ exception (std::bad_alloc -> FACELESS_ERR_MEMORY, anything
// else -> FACELESS_ERR_INTERNAL), so no exception ever crosses into C. VTK
// reports problems through error and warning events rather than exceptions:
// an ErrorSink observes every VTK object we make, so those messages end up in
// the context (errors) or its debug log (warnings) instead of on stderr.
//
// Geometry: the isosurface is extracted in voxel index space and then mapped
// to world RAS mm by the volume's own vox2ras, one matrix applied once (so
// nothing depends on which VTK filters honour an image's direction matrix):
// an oblique, LPS or sagittally stored file gives the same mesh in world
// space as the canonical one. A matrix with a negative determinant
// turns triangles inside out; the signed volume of the mesh tells which way
// they face, and they are flipped when it is negative, so normals (and the
// front faces VTK draws) point out of the head for every storage order.
//
// This file is the VTK module (faceless_vtk.so, render/module.cmake), which
// faceless dlopens when a render_vtk.h function is first called
// (render_vtk_load.c). Its one exported symbol is faceless_vtk_module(), at
// the end; every other symbol is hidden (-fvisibility=hidden). The few
// faceless functions it calls come from the host table the loader passes to
// init() (render_vtk_module.h says why a table rather than linking
// faceless_lib in): the definitions just below forward to it, so the code
// further down calls ctx_fail() and friends as any file of faceless does.
extern "C" {
#include "render/render_skin.h"
#include "render/render_vtk_module.h"
}

#include <vtkActor.h>
#include <vtkCamera.h>
#include <vtkCellArray.h>
#include <vtkCellArrayIterator.h>
#include <vtkCommand.h>
#include <vtkDataArray.h>
#include <vtkFloatArray.h>
#include <vtkFlyingEdges3D.h>
#include <vtkImageData.h>
#include <vtkLight.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkPolyDataNormals.h>
#include <vtkProperty.h>
#include <vtkQuadricDecimation.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>
#include <vtkReverseSense.h>
#include <vtkSmartPointer.h>
#include <vtkTransform.h>
#include <vtkTransformPolyDataFilter.h>
#include <vtkUnsignedCharArray.h>
#include <vtkXMLPolyDataWriter.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

// Last: Xlib defines macros (Status, Bool, None) that VTK's headers must not see.
#include <X11/Xlib.h>

/* ------------------------------------------------------------------------ */
/* The host's functions, through the table init() was given.                 */

namespace
{
// Set once by module_init() before any other call (render_vtk_load.c runs it
// under pthread_once); read-only afterwards.
const render_vtk_host *host = nullptr;

// ctx_fail and ctx_log are variadic: format here, pass the text on as "%s".
// Messages are one line of at most a few hundred bytes; longer ones are cut.
void vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
    if (std::vsnprintf(buf, cap, fmt, ap) < 0)
        std::snprintf(buf, cap, "%s", fmt);
}
} // namespace

extern "C" {

faceless_status ctx_fail(faceless_ctx *ctx, faceless_status status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vformat(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return host->ctx_fail(ctx, status, "%s", msg);
}

void ctx_log(faceless_ctx *ctx, faceless_log_level level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vformat(msg, sizeof msg, fmt, ap);
    va_end(ap);
    host->ctx_log(ctx, level, "%s", msg);
}

int ctx_omp_threads(const faceless_ctx *ctx) { return host->ctx_omp_threads(ctx); }

const char *faceless_ctx_error(const faceless_ctx *ctx) { return host->ctx_error(ctx); }

float *render_skin_values(const render_scene *scene, int threads, float pad)
{
    return host->skin_values(scene, threads, pad);
}

faceless_status io_write_atomic(faceless_ctx *ctx, const char *path, const io_bytes *parts, size_t n)
{
    return host->write_atomic(ctx, path, parts, n);
}

int render_image_alloc(render_image *img, int width, int height, const uint8_t bg[3])
{
    return host->image_alloc(img, width, height, bg);
}

void render_image_free(render_image *img) { host->image_free(img); }

void render_view_axes(render_view view, double u[3], double v[3], double d[3]) { host->view_axes(view, u, v, d); }

} // extern "C"

namespace
{

// Collects the first VTK error of a computation; warnings go to the debug log.
class ErrorSink : public vtkCommand
{
  public:
    static ErrorSink *New() { return new ErrorSink; }
    void Execute(vtkObject *, unsigned long event, void *data) override
    {
        std::string text = data ? static_cast<const char *>(data) : "unknown VTK error";
        for (char &c : text)
            if (c == '\n' || c == '\r')
                c = ' ';
        while (!text.empty() && text.back() == ' ')
            text.pop_back();
        if (event == vtkCommand::ErrorEvent) {
            if (message.empty())
                message = text;
        } else if (ctx) {
            ctx_log(ctx, FACELESS_LOG_DEBUG, "VTK warning: %s", text.c_str());
        }
    }
    void watch(vtkObject *o)
    {
        o->AddObserver(vtkCommand::ErrorEvent, this);
        o->AddObserver(vtkCommand::WarningEvent, this);
    }
    faceless_ctx *ctx = nullptr;
    std::string message;
};

// Runs f (which returns a faceless_status) with every exception turned into a status.
template <class F> faceless_status guarded(faceless_ctx *ctx, const char *what, F &&f)
{
    try {
        return f();
    } catch (const std::bad_alloc &) {
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory in VTK", what);
    } catch (const std::exception &e) {
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: VTK failed (%s)", what, e.what());
    } catch (...) {
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: VTK failed (unknown exception)", what);
    }
}

double seconds_since(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

const char *scene_name(const render_scene *s) { return s->src && s->src->path ? s->src->path : "volume"; }

// Below the threshold by 20 times its size, so a cap's vertices sit a small
// fraction of a voxel outside the grid (between the last voxel and the
// padding): 0.001 voxel for a boundary voxel just above the threshold, 0.15
// for one at four times it. Far enough to tell caps from skin in float
// coordinates, near enough not to move the cut face visibly.
float skin_pad_value(const render_scene *s)
{
    const float t = s->thr;
    return t - 20.0f * (std::fabs(t) > 1.0f ? std::fabs(t) : 1.0f);
}

// The scene's smoothed values, hidden air filled (render_skin.c), as a VTK
// image in voxel index space; the array owns the copy (freed with free()).
// With `pad`, one layer of deep air all round (index -1 and n) closes the
// surface where the field of view cuts through the head: flat caps just
// outside the grid, drawn like the built-in views' cut face. NULL when out of
// memory.
vtkSmartPointer<vtkImageData> skin_image(const render_scene *s, int threads, bool pad)
{
    float *skin = render_skin_values(s, threads, pad ? skin_pad_value(s) : NAN);
    if (!skin)
        return nullptr;
    const int p = pad ? 2 : 0;
    const int dims[3] = {(int)s->n[0] + p, (int)s->n[1] + p, (int)s->n[2] + p};
    auto values = vtkSmartPointer<vtkFloatArray>::New();
    values->SetNumberOfComponents(1);
    values->SetArray(skin, (vtkIdType)dims[0] * dims[1] * dims[2], 0, vtkAbstractArray::VTK_DATA_ARRAY_FREE);
    values->SetName("value");
    auto image = vtkSmartPointer<vtkImageData>::New();
    image->SetDimensions(dims);
    image->SetSpacing(1.0, 1.0, 1.0);
    const double o = pad ? -1.0 : 0.0;
    image->SetOrigin(o, o, o);
    image->GetPointData()->SetScalars(values);
    return image;
}

// Six times the signed volume enclosed by the triangles (divergence theorem):
// positive when they are wound counter-clockwise seen from outside.
double signed_volume6(vtkPolyData *poly)
{
    vtkPoints *pts = poly->GetPoints();
    auto it = vtk::TakeSmartPointer(poly->GetPolys()->NewIterator());
    double sum = 0.0;
    for (it->GoToFirstCell(); !it->IsDoneWithTraversal(); it->GoToNextCell()) {
        vtkIdType n;
        const vtkIdType *ids;
        it->GetCurrentCell(n, ids);
        if (n != 3)
            continue;
        double a[3], b[3], c[3];
        pts->GetPoint(ids[0], a);
        pts->GetPoint(ids[1], b);
        pts->GetPoint(ids[2], c);
        sum += a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) +
               a[2] * (b[0] * c[1] - b[1] * c[0]);
    }
    return sum;
}

// Flying edges (Schroeder et al. 2015) at the scene's threshold, in voxel
// index space, on the skin as seen from outside; with `pad`, closed by caps
// at the edge of the grid (skin_image). Normals are computed later, from the
// triangles' outward winding (flying edges' own gradient normals took ten
// times as long on Colin27, and they would not follow a flipped winding).
faceless_status extract(faceless_ctx *ctx, const render_scene *s, ErrorSink *sink, bool pad,
                        vtkSmartPointer<vtkPolyData> *out)
{
    if (s->n[0] > INT_MAX || s->n[1] > INT_MAX || s->n[2] > INT_MAX)
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: grid too large for VTK", scene_name(s));
    vtkSmartPointer<vtkImageData> image = skin_image(s, ctx_omp_threads(ctx), pad);
    if (!image)
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "%s: out of memory for the isosurface", scene_name(s));
    vtkNew<vtkFlyingEdges3D> fe;
    sink->watch(fe);
    fe->SetInputData(image);
    fe->SetValue(0, (double)s->thr);
    fe->ComputeNormalsOff();
    fe->ComputeGradientsOff();
    fe->ComputeScalarsOff();
    fe->InterpolateAttributesOff();
    fe->Update();
    if (!sink->message.empty())
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: isosurface failed (%s)", scene_name(s), sink->message.c_str());
    vtkPolyData *poly = fe->GetOutput();
    if (poly->GetNumberOfPolys() == 0)
        return ctx_fail(ctx, FACELESS_ERR_INPUT, "%s: no surface at the skin threshold %g", scene_name(s),
                        (double)s->thr);
    *out = poly;
    return FACELESS_OK;
}

// Maps index space to world RAS mm and winds the triangles so they face out
// of the head.
faceless_status to_world(faceless_ctx *ctx, const render_scene *s, ErrorSink *sink, vtkPolyData *in,
                         vtkSmartPointer<vtkPolyData> *out)
{
    double m[16];
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++)
            m[4 * r + c] = s->vox2ras[r][c];
    vtkNew<vtkTransform> xf;
    xf->SetMatrix(m);
    vtkNew<vtkTransformPolyDataFilter> move;
    sink->watch(move);
    move->SetTransform(xf);
    move->SetInputData(in);
    move->SetOutputPointsPrecision(vtkAlgorithm::SINGLE_PRECISION);
    move->Update();
    if (!sink->message.empty())
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: mapping the mesh to world space failed (%s)", scene_name(s),
                        sink->message.c_str());
    vtkSmartPointer<vtkPolyData> world = move->GetOutput();
    if (signed_volume6(world) < 0.0) {
        vtkNew<vtkReverseSense> flip;
        sink->watch(flip);
        flip->SetInputData(world);
        flip->ReverseCellsOn();
        flip->ReverseNormalsOff();
        flip->Update();
        world = flip->GetOutput();
    }
    *out = world;
    return FACELESS_OK;
}

// The same surface with smooth point normals from its (outward) winding.
vtkSmartPointer<vtkPolyData> with_normals(ErrorSink *sink, vtkPolyData *in)
{
    vtkNew<vtkPolyDataNormals> normals;
    sink->watch(normals);
    normals->SetInputData(in);
    normals->SplittingOff();
    normals->ConsistencyOff();
    normals->AutoOrientNormalsOff();
    normals->ComputePointNormalsOn();
    normals->ComputeCellNormalsOff();
    normals->Update();
    return normals->GetOutput();
}

// Splits a padded surface (world: its points in world space; index_space: the
// same triangles in voxel index space) into the skin and the caps, the
// triangles whose centroid lies outside the grid. Both share world's points.
void split_caps(const render_scene *s, vtkPolyData *index_space, vtkPolyData *world, vtkSmartPointer<vtkPolyData> *skin,
                vtkSmartPointer<vtkPolyData> *caps)
{
    vtkPoints *ip = index_space->GetPoints();
    vtkNew<vtkCellArray> skin_cells, cap_cells;
    auto it = vtk::TakeSmartPointer(world->GetPolys()->NewIterator());
    for (it->GoToFirstCell(); !it->IsDoneWithTraversal(); it->GoToNextCell()) {
        vtkIdType n;
        const vtkIdType *ids;
        it->GetCurrentCell(n, ids);
        double c[3] = {0.0, 0.0, 0.0};
        for (vtkIdType k = 0; k < n; k++) {
            double q[3];
            ip->GetPoint(ids[k], q);
            for (int a = 0; a < 3; a++)
                c[a] += q[a] / (double)n;
        }
        bool beyond = false;
        for (int a = 0; a < 3; a++)
            beyond = beyond || c[a] < -1e-7 || c[a] > (double)(s->n[a] - 1) + 1e-7;
        (beyond ? cap_cells.GetPointer() : skin_cells.GetPointer())->InsertNextCell(n, ids);
    }
    *skin = vtkSmartPointer<vtkPolyData>::New();
    (*skin)->SetPoints(world->GetPoints());
    (*skin)->SetPolys(skin_cells);
    *caps = vtkSmartPointer<vtkPolyData>::New();
    (*caps)->SetPoints(world->GetPoints());
    (*caps)->SetPolys(cap_cells);
}

// Little-endian bytes of a 32-bit count or a float (PLY and STL as written here).
void put_le32(std::string &b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b.push_back((char)((v >> (8 * i)) & 0xff));
}
void put_f32(std::string &b, float f)
{
    uint32_t v;
    std::memcpy(&v, &f, 4);
    put_le32(b, v);
}

// Binary little-endian PLY with the point normals (VTK 9.1's PLY writer
// drops normals): the header, then x y z nx ny nz per point as float32, then
// per triangle a count byte (3) and three int32 indices.
void ply_bytes(vtkPolyData *poly, std::string &b)
{
    vtkPoints *pts = poly->GetPoints();
    vtkDataArray *nrm = poly->GetPointData()->GetNormals();
    const vtkIdType np = pts->GetNumberOfPoints(), nt = poly->GetNumberOfPolys();
    char header[512];
    std::snprintf(header, sizeof header,
                  "ply\nformat binary_little_endian 1.0\ncomment faceless skin surface, world RAS mm\n"
                  "element vertex %lld\nproperty float x\nproperty float y\nproperty float z\n%s"
                  "element face %lld\nproperty list uchar int vertex_indices\nend_header\n",
                  (long long)np, nrm ? "property float nx\nproperty float ny\nproperty float nz\n" : "", (long long)nt);
    b.reserve(std::strlen(header) + (size_t)np * 24 + (size_t)nt * 13);
    b += header;
    for (vtkIdType i = 0; i < np; i++) {
        double p[3], n[3];
        pts->GetPoint(i, p);
        for (int a = 0; a < 3; a++)
            put_f32(b, (float)p[a]);
        if (nrm) {
            nrm->GetTuple(i, n);
            for (int a = 0; a < 3; a++)
                put_f32(b, (float)n[a]);
        }
    }
    auto it = vtk::TakeSmartPointer(poly->GetPolys()->NewIterator());
    for (it->GoToFirstCell(); !it->IsDoneWithTraversal(); it->GoToNextCell()) {
        vtkIdType n;
        const vtkIdType *ids;
        it->GetCurrentCell(n, ids);
        b.push_back(3);
        for (int k = 0; k < 3; k++)
            put_le32(b, (uint32_t)ids[k < n ? k : 0]);
    }
}

// Binary STL (VTK 9.1's STL writer cannot write to memory): an 80-byte header,
// the triangle count, then per triangle its unit normal, three corners and a
// zero attribute word.
void stl_bytes(vtkPolyData *poly, std::string &b)
{
    vtkPoints *pts = poly->GetPoints();
    const vtkIdType nt = poly->GetNumberOfPolys();
    b.reserve(84 + (size_t)nt * 50);
    std::string header = "faceless skin surface, world RAS mm";
    header.resize(80, ' ');
    b += header;
    put_le32(b, (uint32_t)nt);
    auto it = vtk::TakeSmartPointer(poly->GetPolys()->NewIterator());
    for (it->GoToFirstCell(); !it->IsDoneWithTraversal(); it->GoToNextCell()) {
        vtkIdType n;
        const vtkIdType *ids;
        it->GetCurrentCell(n, ids);
        double p[3][3];
        for (int k = 0; k < 3; k++)
            pts->GetPoint(ids[k < n ? k : 0], p[k]);
        double e1[3], e2[3], nv[3];
        for (int a = 0; a < 3; a++) {
            e1[a] = p[1][a] - p[0][a];
            e2[a] = p[2][a] - p[0][a];
        }
        nv[0] = e1[1] * e2[2] - e1[2] * e2[1];
        nv[1] = e1[2] * e2[0] - e1[0] * e2[2];
        nv[2] = e1[0] * e2[1] - e1[1] * e2[0];
        double len = std::sqrt(nv[0] * nv[0] + nv[1] * nv[1] + nv[2] * nv[2]);
        for (int a = 0; a < 3; a++)
            put_f32(b, len > 0.0 ? (float)(nv[a] / len) : 0.0f);
        for (int k = 0; k < 3; k++)
            for (int a = 0; a < 3; a++)
                put_f32(b, (float)p[k][a]);
        b.push_back(0);
        b.push_back(0);
    }
}

faceless_status mesh_write(faceless_ctx *ctx, const render_scene *s, int64_t target, const char *path,
                           render_mesh_info *info)
{
    render_mesh_format fmt;
    if (!render_mesh_format_from_path(path, &fmt))
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "%s: a mesh file name ends with .vtp, .ply or .stl", path);
    if (target <= 0)
        target = RENDER_MESH_TARGET_TRIANGLES;
    render_mesh_info mi;
    std::memset(&mi, 0, sizeof mi);
    mi.threshold = s->thr;
    vtkNew<ErrorSink> sink;
    sink->ctx = ctx;

    auto t0 = std::chrono::steady_clock::now();
    vtkSmartPointer<vtkPolyData> surface;
    faceless_status st = extract(ctx, s, sink, false, &surface);
    if (st != FACELESS_OK)
        return st;
    mi.triangles_extracted = surface->GetNumberOfPolys();
    mi.seconds_extract = seconds_since(t0);

    // Quadric decimation (Garland & Heckbert 1997) keeps the shape where it
    // bends (nose, lips, ears) and thins the flat skull; volume preservation
    // stops the thin ears from shrinking.
    t0 = std::chrono::steady_clock::now();
    if (mi.triangles_extracted > target) {
        vtkNew<vtkQuadricDecimation> dec;
        sink->watch(dec);
        dec->SetInputData(surface);
        dec->SetTargetReduction(1.0 - (double)target / (double)mi.triangles_extracted);
        dec->VolumePreservationOn();
        dec->AttributeErrorMetricOff();
        dec->Update();
        if (!sink->message.empty())
            return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: decimation failed (%s)", path, sink->message.c_str());
        surface = dec->GetOutput();
    }
    mi.seconds_decimate = seconds_since(t0);

    t0 = std::chrono::steady_clock::now();
    vtkSmartPointer<vtkPolyData> world;
    if ((st = to_world(ctx, s, sink, surface, &world)) != FACELESS_OK)
        return st;
    // Smooth point normals, for viewers that shade.
    vtkSmartPointer<vtkPolyData> mesh = with_normals(sink, world);
    std::string bytes;
    if (fmt == RENDER_MESH_VTP) {
        vtkNew<vtkXMLPolyDataWriter> w;
        sink->watch(w);
        w->SetInputData(mesh);
        w->SetWriteToOutputString(true);
        w->SetDataModeToAppended();
        w->EncodeAppendedDataOff();
        w->SetCompressorTypeToZLib();
        w->SetHeaderTypeToUInt64();
        w->Write();
        bytes = w->GetOutputString();
    } else if (fmt == RENDER_MESH_PLY) {
        ply_bytes(mesh, bytes);
    } else {
        stl_bytes(mesh, bytes);
    }
    if (!sink->message.empty() || bytes.empty())
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: encoding the mesh failed (%s)", path,
                        sink->message.empty() ? "no bytes" : sink->message.c_str());
    io_bytes part = {reinterpret_cast<uint8_t *>(&bytes[0]), bytes.size()};
    if ((st = io_write_atomic(ctx, path, &part, 1)) != FACELESS_OK)
        return st;
    mi.seconds_write = seconds_since(t0);
    mi.points = mesh->GetNumberOfPoints();
    mi.triangles = mesh->GetNumberOfPolys();
    mesh->GetBounds(mi.bounds);
    if (info)
        *info = mi;
    return FACELESS_OK;
}

} // namespace

/* ------------------------------------------------------------------------ */
/* The offscreen window of the views.                                        */

// The window draws through our own X connection (SetDisplayId), opened and
// checked before VTK sees it and closed only after the window is gone: VTK
// aborts the process when its own XOpenDisplay fails, which happens not only
// without a server but also for a moment after the last client of an
// Xvfb disconnects (the server resets; connections meanwhile get ECONNRESET).
struct render_vtk_stage {
    const render_scene *scene = nullptr;
    int size = 0;
    void *display = nullptr; /* Display *, owned */
    vtkSmartPointer<ErrorSink> sink;
    vtkSmartPointer<vtkPolyData> surface; /* world RAS mm, outward */
    vtkSmartPointer<vtkRenderer> renderer;
    vtkSmartPointer<vtkRenderWindow> window;
    ~render_vtk_stage();
};

namespace
{

// Opens $DISPLAY and checks it has GLX; NULL (and the reason in ctx) when
// not. A connection reset (the server regenerating after its last client
// left) is retried for up to a second; a missing server fails at once.
Display *open_display(faceless_ctx *ctx)
{
    const char *name = std::getenv("DISPLAY");
    if (!name || !*name) {
        ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "DISPLAY is not set");
        return nullptr;
    }
    Display *d = nullptr;
    for (int attempt = 0; attempt < 50 && !d; attempt++) {
        errno = 0;
        d = XOpenDisplay(nullptr);
        if (!d && errno != ECONNRESET && errno != EAGAIN)
            break;
        if (!d)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!d) {
        ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "cannot open DISPLAY '%s'", name);
        return nullptr;
    }
    int opcode, event, error;
    if (!XQueryExtension(d, "GLX", &opcode, &event, &error)) {
        XCloseDisplay(d);
        ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "DISPLAY '%s' has no GLX", name);
        return nullptr;
    }
    return d;
}

faceless_status display_check(faceless_ctx *ctx)
{
    Display *d = open_display(ctx);
    if (!d)
        return FACELESS_ERR_UNSUPPORTED;
    XCloseDisplay(d);
    return FACELESS_OK;
}

faceless_status stage_new(faceless_ctx *ctx, const render_scene *s, int size, render_vtk_stage **out)
{
    if (size < 8 || size > 8192)
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "render: bad view size %d", size);
    // VTK aborts the process when it cannot reach an X server: connect first.
    std::unique_ptr<render_vtk_stage> g(new render_vtk_stage);
    g->display = open_display(ctx);
    if (!g->display) {
        std::string why = faceless_ctx_error(ctx);
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "render: VTK needs an X display (%s)", why.c_str());
    }
    faceless_status st;
    g->scene = s;
    g->size = size;
    g->sink = vtkSmartPointer<ErrorSink>::New();
    g->sink->ctx = ctx;
    // The full-resolution surface, closed by caps where the grid cuts the
    // head, split into skin and caps (cells beyond the grid, in index space).
    vtkSmartPointer<vtkPolyData> index_space, world, caps;
    if ((st = extract(ctx, s, g->sink, true, &index_space)) != FACELESS_OK)
        return st;
    if ((st = to_world(ctx, s, g->sink, index_space, &world)) != FACELESS_OK)
        return st;
    split_caps(s, index_space, world, &g->surface, &caps);
    g->surface = with_normals(g->sink, g->surface);

    vtkNew<vtkPolyDataMapper> mapper;
    g->sink->watch(mapper);
    mapper->SetInputData(g->surface);
    mapper->ScalarVisibilityOff();
    // The built-in shading (render_raycast.c): skin tone, 10% ambient, 90%
    // headlight diffuse, a specular highlight of 0.22 with exponent 24.
    vtkNew<vtkActor> actor;
    actor->SetMapper(mapper);
    vtkProperty *p = actor->GetProperty();
    p->SetColor(0.93, 0.78, 0.66);
    p->SetAmbient(0.10);
    p->SetDiffuse(0.90);
    p->SetSpecular(0.22);
    p->SetSpecularPower(24.0);
    p->SetSpecularColor(1.0, 1.0, 1.0);
    p->SetInterpolationToPhong();
    // The cut face of the field of view: flat grey-blue as in the built-in
    // views, so it is not mistaken for skin.
    vtkNew<vtkPolyDataMapper> cap_mapper;
    g->sink->watch(cap_mapper);
    cap_mapper->SetInputData(caps);
    cap_mapper->ScalarVisibilityOff();
    vtkNew<vtkActor> cap_actor;
    cap_actor->SetMapper(cap_mapper);
    vtkProperty *c = cap_actor->GetProperty();
    c->SetColor(0.45, 0.50, 0.60);
    c->SetAmbient(1.0);
    c->SetDiffuse(0.0);
    c->SetSpecular(0.0);

    g->renderer = vtkSmartPointer<vtkRenderer>::New();
    g->sink->watch(g->renderer);
    g->renderer->AddActor(actor);
    if (caps->GetNumberOfPolys() > 0)
        g->renderer->AddActor(cap_actor);
    g->renderer->SetBackground(0.0, 0.0, 0.0);
    g->renderer->AutomaticLightCreationOff();
    vtkNew<vtkLight> headlight;
    headlight->SetLightTypeToHeadlight();
    headlight->SetIntensity(1.0);
    g->renderer->AddLight(headlight);
    g->renderer->TwoSidedLightingOn();
    g->renderer->GetActiveCamera()->ParallelProjectionOn();

    g->window = vtkSmartPointer<vtkRenderWindow>::New();
    g->sink->watch(g->window);
    g->window->SetDisplayId(g->display);
    g->window->SetOffScreenRendering(1);
    g->window->SetMultiSamples(0); /* no smoothing: pixels comparable with the built-in views */
    g->window->SetSize(size, size);
    g->window->AddRenderer(g->renderer);
    if (!g->sink->message.empty())
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "render: VTK window failed (%s)", g->sink->message.c_str());
    *out = g.release();
    return FACELESS_OK;
}

} // namespace

render_vtk_stage::~render_vtk_stage()
{
    renderer = nullptr;
    window = nullptr; /* releases the GL context and X window on our connection */
    if (display)
        XCloseDisplay(static_cast<Display *>(display));
}

namespace
{

faceless_status stage_view(faceless_ctx *ctx, render_vtk_stage *g, render_view view, render_image *out)
{
    if ((unsigned)view >= RENDER_VIEW_COUNT)
        return ctx_fail(ctx, FACELESS_ERR_USAGE, "render: bad view %d", (int)view);
    const render_scene *s = g->scene;
    const int size = g->size;
    // The built-in camera (render_raycast.c, pixel_origin): an orthographic
    // view of span mm whose centre is offset by ucenter along u and vcenter
    // along v, on a plane `radius` mm before the head's centre; depth counts
    // from that plane, so VTK's near plane is put on it.
    double u[3], v[3], d[3], focal[3], eye[3];
    render_view_axes(view, u, v, d);
    for (int a = 0; a < 3; a++) {
        focal[a] = s->center[a] + s->ucenter[view] * u[a] + s->vcenter * v[a];
        eye[a] = focal[a] - s->radius * d[a];
    }
    const double near_mm = 1e-3, far_mm = 2.0 * s->radius + 2.0;
    vtkCamera *cam = g->renderer->GetActiveCamera();
    cam->SetFocalPoint(focal);
    cam->SetPosition(eye);
    cam->SetViewUp(v);
    cam->SetParallelScale(0.5 * s->span);
    cam->SetClippingRange(near_mm, far_mm);
    g->window->Render();
    vtkNew<vtkUnsignedCharArray> rgb;
    vtkNew<vtkFloatArray> z;
    g->window->GetPixelData(0, 0, size - 1, size - 1, 0, rgb, 0);
    g->window->GetZbufferData(0, 0, size - 1, size - 1, z);
    if (!g->sink->message.empty())
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "render: VTK rendering failed (%s)", g->sink->message.c_str());
    const size_t npix = (size_t)size * size;
    if ((size_t)rgb->GetNumberOfValues() < 3 * npix || (size_t)z->GetNumberOfValues() < npix)
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "render: VTK returned %lld of %zu pixels",
                        (long long)rgb->GetNumberOfValues() / 3, npix);
    render_image img;
    static const uint8_t black[3] = {0, 0, 0};
    if (!render_image_alloc(&img, size, size, black))
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "render: out of memory for a %dx%d view", size, size);
    img.depth = static_cast<float *>(std::malloc(npix * sizeof *img.depth));
    if (!img.depth) {
        render_image_free(&img);
        return ctx_fail(ctx, FACELESS_ERR_MEMORY, "render: out of memory for a %dx%d view", size, size);
    }
    // VTK's rows run bottom to top. A parallel projection's depth buffer is
    // linear between the clipping planes. The depth cue of the built-in
    // views (45% darker at the back of the head) is applied here, per pixel.
    const double range = std::fmax(s->far_mm[view] - s->near_mm[view], 1.0);
    const unsigned char *src = rgb->GetPointer(0);
    const float *zb = z->GetPointer(0);
    for (int row = 0; row < size; row++) {
        const size_t from = (size_t)(size - 1 - row) * size, to = (size_t)row * size;
        for (int x = 0; x < size; x++) {
            float zv = zb[from + x];
            if (!(zv < 1.0f)) {
                img.depth[to + x] = INFINITY;
                continue;
            }
            double t = near_mm + (double)zv * (far_mm - near_mm);
            img.depth[to + x] = (float)t;
            double cue = 1.0 - 0.45 * std::fmin(std::fmax((t - s->near_mm[view]) / range, 0.0), 1.0);
            for (int c = 0; c < 3; c++)
                img.rgb[3 * (to + x) + c] = (uint8_t)(src[3 * (from + x) + c] * cue + 0.5);
        }
    }
    *out = img;
    return FACELESS_OK;
}

} // namespace

/* ------------------------------------------------------------------------ */
/* The module's table: the functions of render_vtk.h, each catching every   */
/* C++ exception, and the one exported symbol that hands the table out.      */

namespace
{

void module_init(const render_vtk_host *h) { host = h; }

faceless_status module_mesh_write(faceless_ctx *ctx, const render_scene *scene, int64_t target_triangles,
                                  const char *path, render_mesh_info *info)
{
    return guarded(ctx, path, [&] { return mesh_write(ctx, scene, target_triangles, path, info); });
}

faceless_status module_display_check(faceless_ctx *ctx)
{
    return guarded(ctx, "render", [&] { return display_check(ctx); });
}

faceless_status module_stage_new(faceless_ctx *ctx, const render_scene *scene, int size, render_vtk_stage **out)
{
    return guarded(ctx, "render", [&] { return stage_new(ctx, scene, size, out); });
}

faceless_status module_stage_view(faceless_ctx *ctx, render_vtk_stage *stage, render_view view, render_image *out)
{
    return guarded(ctx, "render", [&] { return stage_view(ctx, stage, view, out); });
}

void module_stage_free(render_vtk_stage *stage)
{
    try {
        delete stage;
    } catch (...) {
        /* a destructor that throws leaves nothing we could do */
    }
}

const render_vtk_module table = {
    RENDER_VTK_ABI,
    (uint32_t)sizeof(render_scene),
    (uint32_t)sizeof(render_image),
    (uint32_t)sizeof(render_mesh_info),
    (uint32_t)sizeof(faceless_volume),
    module_init,
    module_mesh_write,
    module_display_check,
    module_stage_new,
    module_stage_view,
    module_stage_free,
};

} // namespace

extern "C" __attribute__((visibility("default"))) const render_vtk_module *faceless_vtk_module(void) { return &table; }
