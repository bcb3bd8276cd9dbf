// Exact IoU of two rotated rectangles in the BEV plane (polygon clipping), used by task-1 NMS.
#pragma once

namespace bev {

/** A BEV rectangle: centre, length along yaw, width across, yaw counter-clockwise from +x. */
struct BevRect {
  double x, y, l, w, yaw;
};

/** Intersection over union of two rotated rectangles; 0 when either has zero area. */
double rotated_iou(const BevRect& a, const BevRect& b);

}  // namespace bev
