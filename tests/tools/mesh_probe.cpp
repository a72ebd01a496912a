// mesh_probe MESH [--near X,Y,Z,R]: reads a mesh written by `faceless ...
// --mesh-out` back with VTK's own readers (what ParaView and 3D Slicer use)
// and prints one line of figures for the VTK tests (tests/integration/vtk_mesh.sh):
//   points N triangles M bounds XMIN XMAX YMIN YMAX ZMIN ZMAX
//   volume V (mm^3, signed: positive when the triangles face outwards)
//   tip X Y Z (the most anterior vertex, largest world y: the nose of a head)
//   near K (with --near: vertices within R mm of X,Y,Z)
// Exit 0 when the file parses and holds triangles only, 1 otherwise.
// Built only when VTK is (tests/CMakeLists.txt).
#include <vtkCellArray.h>
#include <vtkCellArrayIterator.h>
#include <vtkNew.h>
#include <vtkPLYReader.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkSmartPointer.h>
#include <vtkXMLPolyDataReader.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <strings.h>

// Binary STL, read here (VTK's STL reader sits in a module whose CMake
// config is broken in Debian's VTK 9.1: it names a JsonCpp target it does
// not define). Corners are merged by exact coordinates, as vtkSTLReader does.
static vtkSmartPointer<vtkPolyData> read_stl(const char *path)
{
    FILE *f = std::fopen(path, "rb");
    if (!f)
        return nullptr;
    unsigned char head[84];
    vtkSmartPointer<vtkPolyData> poly;
    if (std::fread(head, 1, 84, f) == 84) {
        uint32_t nt =
            (uint32_t)head[80] | (uint32_t)head[81] << 8 | (uint32_t)head[82] << 16 | (uint32_t)head[83] << 24;
        vtkNew<vtkPoints> pts;
        vtkNew<vtkCellArray> cells;
        std::map<std::array<float, 3>, vtkIdType> index;
        unsigned char rec[50];
        uint32_t t = 0;
        for (; t < nt && std::fread(rec, 1, 50, f) == 50; t++) {
            vtkIdType ids[3];
            for (int k = 0; k < 3; k++) {
                std::array<float, 3> p;
                std::memcpy(p.data(), rec + 12 + 12 * k, 12); // little-endian host
                auto it = index.find(p);
                if (it == index.end())
                    it = index.emplace(p, pts->InsertNextPoint(p[0], p[1], p[2])).first;
                ids[k] = it->second;
            }
            cells->InsertNextCell(3, ids);
        }
        if (t == nt && std::fgetc(f) == EOF) {
            poly = vtkSmartPointer<vtkPolyData>::New();
            poly->SetPoints(pts);
            poly->SetPolys(cells);
        }
    }
    std::fclose(f);
    return poly;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = std::strlen(s), m = std::strlen(suffix);
    return n >= m && !strcasecmp(s + n - m, suffix);
}

int main(int argc, char **argv)
{
    if (argc != 2 && !(argc == 4 && !std::strcmp(argv[2], "--near"))) {
        std::fprintf(stderr, "usage: mesh_probe MESH.vtp|.ply|.stl [--near X,Y,Z,R]\n");
        return 2;
    }
    double near[4] = {0, 0, 0, -1};
    if (argc == 4 && std::sscanf(argv[3], "%lf,%lf,%lf,%lf", &near[0], &near[1], &near[2], &near[3]) != 4) {
        std::fprintf(stderr, "mesh_probe: bad --near %s\n", argv[3]);
        return 2;
    }
    vtkSmartPointer<vtkPolyData> poly;
    if (ends_with(argv[1], ".vtp")) {
        vtkNew<vtkXMLPolyDataReader> r;
        r->SetFileName(argv[1]);
        r->Update();
        poly = r->GetOutput();
    } else if (ends_with(argv[1], ".ply")) {
        vtkNew<vtkPLYReader> r;
        r->SetFileName(argv[1]);
        r->Update();
        poly = r->GetOutput();
    } else if (ends_with(argv[1], ".stl")) {
        poly = read_stl(argv[1]);
    } else {
        std::fprintf(stderr, "mesh_probe: %s: not .vtp, .ply or .stl\n", argv[1]);
        return 2;
    }
    vtkPoints *pts = poly ? poly->GetPoints() : nullptr;
    if (!pts || poly->GetNumberOfPolys() == 0) {
        std::printf("mesh_probe: %s: no triangles\n", argv[1]);
        return 1;
    }
    double vol6 = 0.0;
    long long non_triangles = 0;
    auto it = vtk::TakeSmartPointer(poly->GetPolys()->NewIterator());
    for (it->GoToFirstCell(); !it->IsDoneWithTraversal(); it->GoToNextCell()) {
        vtkIdType n;
        const vtkIdType *ids;
        it->GetCurrentCell(n, ids);
        if (n != 3) {
            non_triangles++;
            continue;
        }
        double a[3], b[3], c[3];
        pts->GetPoint(ids[0], a);
        pts->GetPoint(ids[1], b);
        pts->GetPoint(ids[2], c);
        vol6 += a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) +
                a[2] * (b[0] * c[1] - b[1] * c[0]);
    }
    double tip[3] = {0, -1e300, 0};
    long long n_near = 0;
    for (vtkIdType i = 0; i < pts->GetNumberOfPoints(); i++) {
        double p[3];
        pts->GetPoint(i, p);
        if (p[1] > tip[1])
            for (int a = 0; a < 3; a++)
                tip[a] = p[a];
        double d2 = 0.0;
        for (int a = 0; a < 3; a++)
            d2 += (p[a] - near[a]) * (p[a] - near[a]);
        n_near += near[3] >= 0 && d2 <= near[3] * near[3];
    }
    double b[6];
    poly->GetBounds(b);
    std::printf("points %lld triangles %lld bounds %.2f %.2f %.2f %.2f %.2f %.2f volume %.0f tip %.2f %.2f %.2f",
                (long long)pts->GetNumberOfPoints(), (long long)poly->GetNumberOfPolys(), b[0], b[1], b[2], b[3], b[4],
                b[5], vol6 / 6.0, tip[0], tip[1], tip[2]);
    if (near[3] >= 0)
        std::printf(" near %lld", n_near);
    std::printf("\n");
    if (non_triangles) {
        std::printf("mesh_probe: %lld cells are not triangles\n", non_triangles);
        return 1;
    }
    return 0;
}
