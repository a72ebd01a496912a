/* 4x4 affine helpers for the registration module. */
#include "register/reg_internal.h"

#include <math.h>
#include <string.h>

void reg_mat_mul(const double a[4][4], const double b[4][4], double out[4][4])
{
    double r[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            double s = 0;
            for (int k = 0; k < 4; k++)
                s += a[i][k] * b[k][j];
            r[i][j] = s;
        }
    memcpy(out, r, sizeof r);
}

/* Gauss-Jordan with partial pivoting. */
int reg_mat_inv(const double a[4][4], double out[4][4])
{
    double m[4][8];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            m[i][j] = j < 4 ? a[i][j] : (j - 4 == i);
    for (int c = 0; c < 4; c++) {
        int piv = c;
        for (int r = c + 1; r < 4; r++)
            if (fabs(m[r][c]) > fabs(m[piv][c]))
                piv = r;
        if (fabs(m[piv][c]) < 1e-12)
            return 0;
        if (piv != c)
            for (int j = 0; j < 8; j++) {
                double t = m[c][j];
                m[c][j] = m[piv][j];
                m[piv][j] = t;
            }
        double d = m[c][c];
        for (int j = 0; j < 8; j++)
            m[c][j] /= d;
        for (int r = 0; r < 4; r++)
            if (r != c && m[r][c] != 0) {
                double f = m[r][c];
                for (int j = 0; j < 8; j++)
                    m[r][j] -= f * m[c][j];
            }
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            out[i][j] = m[i][j + 4];
    return 1;
}

void reg_mat_apply(const double m[4][4], const double x[3], double y[3])
{
    for (int r = 0; r < 3; r++)
        y[r] = m[r][0] * x[0] + m[r][1] * x[1] + m[r][2] * x[2] + m[r][3];
}

/* R = Rz * Ry * Rx (degrees), no translation. */
void reg_mat_rotation(double rx_deg, double ry_deg, double rz_deg, double out[4][4])
{
    double a = rx_deg * REG_PI / 180, b = ry_deg * REG_PI / 180, c = rz_deg * REG_PI / 180;
    double rx[4][4] = {{1, 0, 0, 0}, {0, cos(a), -sin(a), 0}, {0, sin(a), cos(a), 0}, {0, 0, 0, 1}};
    double ry[4][4] = {{cos(b), 0, sin(b), 0}, {0, 1, 0, 0}, {-sin(b), 0, cos(b), 0}, {0, 0, 0, 1}};
    double rz[4][4] = {{cos(c), -sin(c), 0, 0}, {sin(c), cos(c), 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
    double t[4][4];
    reg_mat_mul(ry, rx, t);
    reg_mat_mul(rz, t, out);
}

void reg_params_to_affine(const double p[REG_NPARAM], const double c[3], double m[4][4])
{
    memset(m, 0, 16 * sizeof(double));
    for (int r = 0; r < 3; r++) {
        double tr = p[r];
        for (int k = 0; k < 3; k++) {
            m[r][k] = p[3 + 3 * r + k] / REG_LIN_SCALE;
            tr -= m[r][k] * c[k];
        }
        m[r][3] = tr;
    }
    m[3][3] = 1;
}

void reg_affine_to_params(const double m[4][4], const double c[3], double p[REG_NPARAM])
{
    for (int r = 0; r < 3; r++) {
        double tr = m[r][3];
        for (int k = 0; k < 3; k++) {
            p[3 + 3 * r + k] = m[r][k] * REG_LIN_SCALE;
            tr += m[r][k] * c[k];
        }
        p[r] = tr;
    }
}
