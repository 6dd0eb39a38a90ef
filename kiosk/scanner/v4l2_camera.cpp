// The V4L2 capture adapter: the only file that includes Linux/V4L2 headers. It follows the
// kernel's capture example (Documentation/userspace-api/media/v4l/capture.c.rst): QUERYCAP,
// S_FMT, REQBUFS + QUERYBUF + mmap, QBUF, STREAMON, then poll + DQBUF/QBUF per frame.
#include "kiosk/scanner/v4l2_camera.hpp"

#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <system_error>

#include "common/strings.hpp"
#include "kiosk/scanner/frame.hpp"
#include "kiosk/scanner/image_files.hpp"

namespace kiosk_edge {
namespace {

using std::chrono::steady_clock;

// Sizes beyond any camera a kiosk would carry; a driver answering more is not believed.
constexpr std::uint32_t kMaxSide = 16384;

// ioctl, retried when a signal interrupts it.
int Xioctl(int fd, unsigned long request, void* arg) {
  int result = 0;
  do {
    result = ::ioctl(fd, request, arg);
  } while (result == -1 && errno == EINTR);
  return result;
}

std::string ErrnoText(int err) { return std::system_category().message(err); }

// A fourcc as its four characters ("YUYV", "H264"), trailing blanks dropped.
std::string FourccName(std::uint32_t fourcc) {
  std::string name;
  for (int shift = 0; shift < 32; shift += 8) {
    const auto c = static_cast<char>((fourcc >> shift) & 0xFF);
    name.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  }
  while (!name.empty() && name.back() == ' ') name.pop_back();
  return name;
}

struct KnownFormat {
  std::uint32_t fourcc;
  CapturePixelFormat format;
};

// In order of preference.
constexpr std::array<KnownFormat, 4> kKnownFormats = {{
    {V4L2_PIX_FMT_YUYV, CapturePixelFormat::kYuyv},
    {V4L2_PIX_FMT_MJPEG, CapturePixelFormat::kMjpeg},
    {V4L2_PIX_FMT_JPEG, CapturePixelFormat::kMjpeg},
    {V4L2_PIX_FMT_GREY, CapturePixelFormat::kGrey},
}};

std::optional<CapturePixelFormat> KnownFormatOf(std::uint32_t fourcc) {
  for (const KnownFormat& known : kKnownFormats) {
    if (known.fourcc == fourcc) return known.format;
  }
  return std::nullopt;
}

// The fixed-size, maybe unterminated string fields of V4L2 structs.
template <std::size_t N>
std::string FieldText(const __u8 (&field)[N]) {
  const auto* text = reinterpret_cast<const char*>(field);
  return std::string(text, ::strnlen(text, N));
}

}  // namespace

std::string_view ToString(CapturePixelFormat format) {
  switch (format) {
    case CapturePixelFormat::kYuyv:
      return "YUYV";
    case CapturePixelFormat::kMjpeg:
      return "MJPEG";
    case CapturePixelFormat::kGrey:
      return "GREY";
  }
  return "unknown";
}

Result<GreyImage> CapturedFrameToGrey(CapturePixelFormat format, std::span<const std::uint8_t> data,
                                      int width, int height, std::size_t stride) {
  if (data.empty()) return Error(ErrorKind::kInvalidArgument, "empty frame");
  switch (format) {
    case CapturePixelFormat::kYuyv: {
      GreyImage grey = YuyvToGrey(data, width, height, stride);
      if (!IsValidGrey(grey)) {
        return Error(ErrorKind::kInvalidArgument,
                     StrCat("short YUYV frame: ", data.size(), " bytes for ", width, "x", height));
      }
      return grey;
    }
    case CapturePixelFormat::kGrey: {
      if (width <= 0 || height <= 0) {
        return Error(ErrorKind::kInvalidArgument, StrCat("bad frame size ", width, "x", height));
      }
      const auto w = static_cast<std::size_t>(width);
      const auto h = static_cast<std::size_t>(height);
      if (stride == 0) stride = w;
      if (stride < w || data.size() < stride * (h - 1) + w) {
        return Error(ErrorKind::kInvalidArgument,
                     StrCat("short GREY frame: ", data.size(), " bytes for ", width, "x", height));
      }
      GreyImage grey{width, height, std::vector<std::uint8_t>(w * h)};
      for (std::size_t y = 0; y < h; ++y) {
        std::copy_n(data.data() + y * stride, w, grey.pixels.data() + y * w);
      }
      return grey;
    }
    case CapturePixelFormat::kMjpeg: {
      auto grey = DecodeImageBytes(
          std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
      if (!grey) return grey.error().WithContext("MJPEG frame");
      return grey;
    }
  }
  return Error(ErrorKind::kInternal, "unknown pixel format");
}

Result<std::unique_ptr<V4l2Camera>> V4l2Camera::Open(const std::string& device,
                                                     const V4l2CameraOptions& options) {
  if (device.empty()) return Error(ErrorKind::kInvalidArgument, "no camera device given");
  std::unique_ptr<V4l2Camera> camera(new V4l2Camera(device));
  // On failure the half-opened camera's destructor releases whatever was set up.
  if (auto ready = camera->Init(options); !ready) return ready.error();
  return camera;
}

V4l2Camera::~V4l2Camera() {
  if (streaming_) {
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    Xioctl(fd_, VIDIOC_STREAMOFF, &type);  // fails only when unplugged; closing releases all
  }
  for (const MappedBuffer& buffer : buffers_) ::munmap(buffer.start, buffer.length);
  if (fd_ >= 0) ::close(fd_);
  if (interrupt_fd_ >= 0) ::close(interrupt_fd_);
}

Error V4l2Camera::DeviceError(ErrorKind kind, std::string_view what) const {
  return Error(kind, StrCat(device_, ": ", what));
}

Error V4l2Camera::SystemError(std::string_view doing, int err) const {
  if (err == ENODEV) return DeviceError(ErrorKind::kIo, "device unplugged");
  if (err == EBUSY) {
    return DeviceError(ErrorKind::kIo, "device busy (another program is using the camera)");
  }
  return DeviceError(ErrorKind::kIo, StrCat(doing, " failed: ", ErrnoText(err)));
}

Result<void> V4l2Camera::Init(const V4l2CameraOptions& options) {
  fd_ = ::open(device_.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) {
    const int err = errno;
    switch (err) {
      case ENOENT:
      case ENOTDIR:
      case ENODEV:
      case ENXIO:
        return DeviceError(ErrorKind::kNotFound, "no such device");
      case EACCES:
      case EPERM:
        return DeviceError(ErrorKind::kIo,
                           "permission denied (the agent's user must be in the video group)");
      case EISDIR:
        return DeviceError(ErrorKind::kInvalidArgument,
                           "not a V4L2 video capture device (a directory)");
      default:
        return SystemError("open", err);
    }
  }
  struct stat status {};
  if (::fstat(fd_, &status) != 0) return SystemError("stat", errno);
  if (S_ISREG(status.st_mode)) {
    return DeviceError(ErrorKind::kInvalidArgument,
                       "not a V4L2 video capture device (a regular file)");
  }
  if (!S_ISCHR(status.st_mode)) {
    return DeviceError(ErrorKind::kInvalidArgument,
                       "not a V4L2 video capture device (not a character device)");
  }
  if (auto checked = CheckCapabilities(); !checked) return checked;
  if (auto negotiated = NegotiateFormat(options); !negotiated) return negotiated;
  interrupt_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (interrupt_fd_ < 0) return SystemError("eventfd", errno);
  return StartStreaming(options.buffer_count);
}

Result<void> V4l2Camera::CheckCapabilities() {
  v4l2_capability capability{};
  if (Xioctl(fd_, VIDIOC_QUERYCAP, &capability) != 0) {
    const int err = errno;
    // ENOTTY: the driver knows no V4L2 ioctls (/dev/null, a tty, a disk).
    if (err == ENOTTY || err == EINVAL) {
      return DeviceError(ErrorKind::kInvalidArgument, "not a V4L2 video capture device");
    }
    return SystemError("query capabilities", err);
  }
  card_ = FieldText(capability.card);
  const std::uint32_t caps = (capability.capabilities & V4L2_CAP_DEVICE_CAPS) != 0
                                 ? capability.device_caps
                                 : capability.capabilities;
  if ((caps & V4L2_CAP_VIDEO_CAPTURE) == 0) {
    if ((caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE) != 0) {
      return DeviceError(ErrorKind::kInvalidArgument,
                         StrCat("not supported: ", card_, " offers only multi-planar capture"));
    }
    // UVC cameras show up twice; the second node carries metadata, not pictures.
    return DeviceError(ErrorKind::kInvalidArgument,
                       StrCat("not a V4L2 video capture device (", card_,
                              " is a V4L2 node without video capture, e.g. a metadata node)"));
  }
  if ((caps & V4L2_CAP_STREAMING) == 0) {
    return DeviceError(ErrorKind::kInvalidArgument,
                       StrCat(card_, " does not support streaming I/O"));
  }
  return {};
}

Result<void> V4l2Camera::NegotiateFormat(const V4l2CameraOptions& options) {
  std::vector<std::uint32_t> offered;
  for (std::uint32_t index = 0; index < 64; ++index) {
    v4l2_fmtdesc description{};
    description.index = index;
    description.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (Xioctl(fd_, VIDIOC_ENUM_FMT, &description) != 0) {
      if (errno == EINVAL) break;  // the end of the list
      return SystemError("list pixel formats", errno);
    }
    offered.push_back(description.pixelformat);
  }
  std::optional<std::uint32_t> chosen;
  for (const KnownFormat& known : kKnownFormats) {
    if (std::find(offered.begin(), offered.end(), known.fourcc) != offered.end()) {
      chosen = known.fourcc;
      break;
    }
  }
  if (!chosen) {
    std::string names;
    for (const std::uint32_t fourcc : offered) {
      if (!names.empty()) names += ", ";
      names += FourccName(fourcc);
    }
    return DeviceError(ErrorKind::kInvalidArgument,
                       StrCat("no supported pixel format (has: ", names.empty() ? "none" : names,
                              "; needs YUYV, MJPG or GREY)"));
  }

  v4l2_format format{};
  format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  format.fmt.pix.width = static_cast<std::uint32_t>(std::max(options.width, 1));
  format.fmt.pix.height = static_cast<std::uint32_t>(std::max(options.height, 1));
  format.fmt.pix.pixelformat = *chosen;
  format.fmt.pix.field = V4L2_FIELD_ANY;
  if (Xioctl(fd_, VIDIOC_S_FMT, &format) != 0) return SystemError("set the pixel format", errno);

  const v4l2_pix_format& granted = format.fmt.pix;
  const auto known = KnownFormatOf(granted.pixelformat);
  if (!known) {
    return DeviceError(ErrorKind::kInvalidArgument,
                       StrCat("asked for ", FourccName(*chosen), ", the driver gave ",
                              FourccName(granted.pixelformat), ", which is not supported"));
  }
  if (granted.width == 0 || granted.height == 0 || granted.width > kMaxSide ||
      granted.height > kMaxSide) {
    return DeviceError(
        ErrorKind::kInvalidArgument,
        StrCat("the driver gave an unusable frame size ", granted.width, "x", granted.height));
  }
  format_ = *known;
  width_ = static_cast<int>(granted.width);
  height_ = static_cast<int>(granted.height);
  const std::size_t packed =
      static_cast<std::size_t>(granted.width) * (format_ == CapturePixelFormat::kYuyv ? 2u : 1u);
  // Some drivers leave bytesperline 0 (or too small) for packed formats: rows are then packed.
  stride_ = std::max<std::size_t>(granted.bytesperline, packed);
  return {};
}

Result<void> V4l2Camera::StartStreaming(int buffer_count) {
  v4l2_requestbuffers request{};
  request.count = static_cast<std::uint32_t>(std::clamp(buffer_count, 2, 32));
  request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  request.memory = V4L2_MEMORY_MMAP;
  if (Xioctl(fd_, VIDIOC_REQBUFS, &request) != 0) {
    if (errno == EINVAL) {
      return DeviceError(ErrorKind::kInvalidArgument, "does not support memory-mapped streaming");
    }
    return SystemError("request capture buffers", errno);
  }
  if (request.count < 2) {
    return DeviceError(ErrorKind::kIo,
                       StrCat("the driver granted ", request.count, " capture buffers (needs 2)"));
  }
  buffers_.reserve(request.count);
  for (std::uint32_t index = 0; index < request.count; ++index) {
    v4l2_buffer buffer{};
    buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    buffer.memory = V4L2_MEMORY_MMAP;
    buffer.index = index;
    if (Xioctl(fd_, VIDIOC_QUERYBUF, &buffer) != 0) {
      return SystemError("query a capture buffer", errno);
    }
    void* start = ::mmap(nullptr, buffer.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd_,
                         static_cast<off_t>(buffer.m.offset));
    if (start == MAP_FAILED) return SystemError("map a capture buffer", errno);
    buffers_.push_back(MappedBuffer{start, buffer.length});
  }
  for (std::uint32_t index = 0; index < buffers_.size(); ++index) {
    if (auto queued = Enqueue(index); !queued) return queued;
  }
  int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  if (Xioctl(fd_, VIDIOC_STREAMON, &type) != 0) return SystemError("start streaming", errno);
  streaming_ = true;
  return {};
}

Result<void> V4l2Camera::Enqueue(std::uint32_t index) {
  v4l2_buffer buffer{};
  buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  buffer.memory = V4L2_MEMORY_MMAP;
  buffer.index = index;
  if (Xioctl(fd_, VIDIOC_QBUF, &buffer) != 0) return SystemError("queue a capture buffer", errno);
  return {};
}

Result<std::optional<V4l2Camera::Filled>> V4l2Camera::DequeueNewest() {
  std::optional<Filled> newest;
  while (true) {
    v4l2_buffer buffer{};
    buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    buffer.memory = V4L2_MEMORY_MMAP;
    if (Xioctl(fd_, VIDIOC_DQBUF, &buffer) != 0) {
      const int err = errno;
      if (err == EAGAIN) return newest;
      // EIO may leave the driver stopped; the caller reopens the device.
      return SystemError("dequeue a frame", err);
    }
    if (buffer.index >= buffers_.size()) {
      return DeviceError(ErrorKind::kIo,
                         StrCat("the driver returned unknown capture buffer ", buffer.index));
    }
    if (newest) {
      if (auto queued = Enqueue(newest->index); !queued) return queued.error();
    }
    newest = Filled{buffer.index, buffer.bytesused, (buffer.flags & V4L2_BUF_FLAG_ERROR) != 0};
  }
}

Result<GreyImage> V4l2Camera::Convert(const Filled& filled) const {
  if (filled.damaged) {
    return Error(ErrorKind::kInvalidArgument, "the driver marked the frame as damaged");
  }
  const MappedBuffer& buffer = buffers_[filled.index];
  // A driver may claim more bytes than the buffer holds; never read past the mapping.
  const std::size_t used = std::min<std::size_t>(filled.bytes_used, buffer.length);
  return CapturedFrameToGrey(format_,
                             std::span(static_cast<const std::uint8_t*>(buffer.start), used),
                             width_, height_, stride_);
}

Result<GreyImage> V4l2Camera::NextFrame(std::chrono::milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  std::string unusable;  // why the last frame dequeued was skipped
  while (true) {
    const auto remaining =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - steady_clock::now()).count();
    std::array<pollfd, 2> fds = {{{fd_, POLLIN, 0}, {interrupt_fd_, POLLIN, 0}}};
    const int ready = ::poll(fds.data(), fds.size(),
                             static_cast<int>(std::clamp<std::int64_t>(remaining, 0, INT_MAX)));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return SystemError("wait for a frame", errno);
    }
    if (fds[1].revents != 0) return DeviceError(ErrorKind::kUnavailable, "interrupted");
    if (ready == 0) {
      return DeviceError(
          ErrorKind::kUnavailable,
          unusable.empty()
              ? std::string("timed out waiting for a frame")
              : StrCat("timed out waiting for a usable frame (the last one: ", unusable, ")"));
    }
    if ((fds[0].revents & POLLNVAL) != 0) {
      return DeviceError(ErrorKind::kInternal, "the device was closed while in use");
    }
    auto filled = DequeueNewest();
    if (!filled) return filled.error();
    if (!*filled) {
      // POLLERR with nothing to dequeue: the driver stopped streaming and will not recover.
      if ((fds[0].revents & POLLERR) != 0) {
        return DeviceError(ErrorKind::kIo, "capture stopped (the driver reported an error)");
      }
      continue;
    }
    auto frame = Convert(**filled);
    if (auto queued = Enqueue((*filled)->index); !queued) return queued.error();
    if (frame) return frame;
    unusable = frame.error().message();
  }
}

void V4l2Camera::Interrupt() {
  const std::uint64_t one = 1;
  // Cannot fail in a way that matters: the counter only has to become non-zero.
  [[maybe_unused]] const ssize_t written = ::write(interrupt_fd_, &one, sizeof one);
}

std::string V4l2Camera::Describe() const {
  return StrCat(device_, " (", card_, ", ", ToString(format_), " ", width_, "x", height_, ")");
}

}  // namespace kiosk_edge
