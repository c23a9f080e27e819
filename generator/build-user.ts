// The qemu build's throwaway login. The build command's seed creates it, Packer connects as it,
// and the image's seal (components/generalize) removes it: three layers name it, so it lives
// below all of them.
export const BUILD_USER = 'cocca-build';
