// Sutherland–Hodgman: clip one convex quad by the four half-planes of the other, then shoelace.
#include "rotated-iou.h"

#include <cmath>

namespace bev {
namespace {

struct Pt {
  double x, y;
};

void corners(const BevRect& r, Pt out[4]) {
  const double c = std::cos(r.yaw), s = std::sin(r.yaw);
  const double hl = r.l / 2, hw = r.w / 2;
  const double local[4][2] = {{hl, hw}, {-hl, hw}, {-hl, -hw}, {hl, -hw}};  // counter-clockwise
  for (int i = 0; i < 4; ++i) {
    out[i] = {r.x + local[i][0] * c - local[i][1] * s, r.y + local[i][0] * s + local[i][1] * c};
  }
}

// Signed area test: > 0 when p is left of the directed edge a→b (inside a CCW polygon).
double side(const Pt& a, const Pt& b, const Pt& p) {
  return (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
}

}  // namespace

double rotated_iou(const BevRect& a, const BevRect& b) {
  const double area_a = a.l * a.w, area_b = b.l * b.w;
  if (area_a <= 0 || area_b <= 0) return 0;
  // Circumscribed circles apart → no overlap (cheap reject, most pairs in a frame).
  const double ra = std::hypot(a.l, a.w) / 2, rb = std::hypot(b.l, b.w) / 2;
  const double dx = a.x - b.x, dy = a.y - b.y;
  if (dx * dx + dy * dy > (ra + rb) * (ra + rb)) return 0;

  Pt clip[4];
  corners(b, clip);
  // At most 4 + 4 vertices survive clipping a quad by a convex quad.
  Pt poly[16], next[16];
  int n = 4;
  corners(a, poly);
  for (int e = 0; e < 4 && n > 0; ++e) {
    const Pt& p0 = clip[e];
    const Pt& p1 = clip[(e + 1) % 4];
    int m = 0;
    for (int i = 0; i < n; ++i) {
      const Pt& cur = poly[i];
      const Pt& prev = poly[(i + n - 1) % n];
      const double sc = side(p0, p1, cur), sp = side(p0, p1, prev);
      if (sc >= 0) {
        if (sp < 0) {
          const double t = sp / (sp - sc);
          next[m++] = {prev.x + t * (cur.x - prev.x), prev.y + t * (cur.y - prev.y)};
        }
        next[m++] = cur;
      } else if (sp >= 0) {
        const double t = sp / (sp - sc);
        next[m++] = {prev.x + t * (cur.x - prev.x), prev.y + t * (cur.y - prev.y)};
      }
    }
    n = m;
    for (int i = 0; i < n; ++i) poly[i] = next[i];
  }
  double inter = 0;
  for (int i = 0; i < n; ++i) {
    const Pt& p = poly[i];
    const Pt& q = poly[(i + 1) % n];
    inter += p.x * q.y - q.x * p.y;
  }
  inter = std::fabs(inter) / 2;
  const double uni = area_a + area_b - inter;
  return uni > 0 ? inter / uni : 0;
}

}  // namespace bev
